import { Inject, Injectable } from '@nestjs/common';
import type { AddressObject } from 'mailparser';
import { isSpooled, readSpooled, releaseBytes, type MailBytes } from '../core/spool/spooled-bytes';
import { MailboxStateService } from '../mailboxes/mailbox-state.service';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import type { SampleMessage } from './sample-mail.types';
import { describeError, stateForError } from './side-state.mapping';
import { SourceConnector } from './source-connector';
import { SourceOptionsFactory } from './source-options.factory';

/**
 * What fetching a mail WOULD do, computed by the requests pipeline with side effects off,
 * and the mail as that pipeline read it (null when it could not: too large, unparseable).
 */
export interface SampleDecider {
  decide(mailbox: Mailbox, raw: MailBytes): Promise<{ decision: Record<string, unknown>; message: SampleMessage | null }>;
}
export const SAMPLE_DECIDER = Symbol('SAMPLE_DECIDER');

export interface SampleMail {
  found: boolean;
  message?: SampleMessage;
  decision?: Record<string, unknown>;
}

/** The header section of a mail the pipeline could not read is still shown, up to this size. */
const HEADER_PREVIEW_BYTES = 256 * 1024;

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
    @Inject(SAMPLE_DECIDER) private readonly decider: SampleDecider,
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
        // The pipeline's own parse (on a parse worker) is the preview: one parse, off this
        // thread. A mail it could not read (too large, broken) shows its headers only: parsing
        // it here would block the service for as long as the mail is large.
        try {
          const { decision, message } = await this.decider.decide(mailbox, oldest.raw);
          return { found: true, message: message ?? (await headerPreview(oldest.raw)), decision };
        } finally {
          releaseBytes(oldest.raw);
        }
      } finally {
        await source.close().catch(() => undefined);
      }
    } catch (error) {
      await this.states.set(mailbox.id, 'incoming', stateForError(error, mailbox.incomingState), describeError(error)).catch(() => undefined);
      throw error;
    } finally {
      await transcript?.flush().catch(() => undefined);
    }
  }
}

/** Subject, addresses, date and Message-ID from the header section alone; no text, no attachments. */
async function headerPreview(raw: MailBytes): Promise<SampleMessage> {
  const start = isSpooled(raw) ? readSpooled(raw, 0, HEADER_PREVIEW_BYTES) : raw.subarray(0, HEADER_PREVIEW_BYTES);
  const blankLine = /\r?\n\r?\n/.exec(start.toString('latin1'));
  const headers = start.subarray(0, blankLine ? blankLine.index : start.length);
  // Loaded here, not with the service: the main thread parses nothing else (parse workers do).
  const { simpleParser } = require('mailparser') as typeof import('mailparser');
  const parsed = await simpleParser(Buffer.concat([headers, Buffer.from('\r\n\r\n')]));
  return {
    subject: parsed.subject ?? null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    messageId: parsed.messageId?.replace(/^<|>$/g, '') || null,
    size: raw.length,
    text: '',
    attachments: [],
  };
}

/** `Name <address>` or the bare address, as the pipeline's preview writes them. */
function addressText(address: AddressObject | AddressObject[] | undefined): string | null {
  if (!address) return null;
  // A group ("Team: a@x, b@y;") lists its members.
  const mailboxes = (Array.isArray(address) ? address : [address]).flatMap((object) => object.value).flatMap((entry) => entry.group ?? [entry]);
  return mailboxes.map((mailbox) => (mailbox.name ? `${mailbox.name} <${mailbox.address ?? ''}>` : (mailbox.address ?? ''))).filter(Boolean).join(', ') || null;
}
