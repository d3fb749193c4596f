import { Inject, Injectable, Optional } from '@nestjs/common';
import { simpleParser, type AddressObject } from 'mailparser';
import { MailboxStateService } from '../mailboxes/mailbox-state.service';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import { describeError, stateForError } from './side-state.mapping';
import { SourceConnector } from './source-connector';
import { SourceOptionsFactory } from './source-options.factory';

export const SAMPLE_TEXT_CHARS = 2_000;

/** What fetching a mail WOULD do, computed by the requests pipeline with side effects off. */
export interface SampleDecider {
  decide(mailbox: Mailbox, raw: Buffer): Promise<Record<string, unknown>>;
}
export const SAMPLE_DECIDER = Symbol('SAMPLE_DECIDER');

export interface SampleMail {
  found: boolean;
  message?: {
    subject: string | null;
    from: string | null;
    to: string | null;
    date: string | null;
    messageId: string | null;
    size: number;
    text: string;
    attachments: Array<{ filename: string | null; contentType: string; size: number }>;
  };
  decision?: Record<string, unknown>;
}

/**
 * "Fetch a sample mail": the OLDEST message of the folder, read without changing anything
 * on the server and without creating a request. A failure sets the side's state like a
 * fetch would, and reaches the admin as a 502 with the error's code and message.
 */
@Injectable()
export class SampleMailService {
  constructor(
    private readonly mailboxes: MailboxesService,
    private readonly states: MailboxStateService,
    private readonly sourceOptions: SourceOptionsFactory,
    private readonly connector: SourceConnector,
    @Optional() @Inject(SAMPLE_DECIDER) private readonly decider?: SampleDecider,
  ) {}

  async sample(mailboxId: string): Promise<SampleMail> {
    const mailbox = await this.mailboxes.get(mailboxId);
    const { options, transcript } = this.sourceOptions.build(mailbox);
    try {
      const source = await this.connector.open(mailbox.id, options);
      try {
        const oldest = await source.sampleOldest();
        await this.states.set(mailbox.id, 'incoming', mailbox.incoming.enabled ? 'connected' : 'disabled');
        if (!oldest) return { found: false };
        const result: SampleMail = { found: true, message: await preview(oldest.raw) };
        if (this.decider) result.decision = await this.decider.decide(mailbox, oldest.raw);
        return result;
      } finally {
        await source.close().catch(() => undefined);
      }
    } catch (error) {
      await this.states.set(mailbox.id, 'incoming', stateForError(error), describeError(error)).catch(() => undefined);
      throw error;
    } finally {
      await transcript?.flush().catch(() => undefined);
    }
  }
}

async function preview(raw: Buffer): Promise<NonNullable<SampleMail['message']>> {
  const parsed = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });
  const text = (parsed.text ?? '').trim();
  return {
    subject: parsed.subject ?? null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    messageId: parsed.messageId ?? null,
    size: raw.length,
    text: text.length > SAMPLE_TEXT_CHARS ? text.slice(0, SAMPLE_TEXT_CHARS) : text,
    attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size })),
  };
}

function addressText(address: AddressObject | AddressObject[] | undefined): string | null {
  if (!address) return null;
  return (Array.isArray(address) ? address : [address]).map((a) => a.text).join(', ') || null;
}
