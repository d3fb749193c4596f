import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import type { MailBytes } from '../../core/spool/spooled-bytes';
import { Database } from '../../core/database/database';
import type { SampleDecider } from '../../incoming/sample-mail.service';
import { SAMPLE_TEXT_CHARS, type SampleMessage } from '../../incoming/sample-mail.types';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import type { MailAddress, ParsedMail } from '../parsing/parsed-mail';
import type { Decision } from '../pipeline/inbound-mail';
import { newRequestMail, releaseAttachments } from '../pipeline/request-mail';
import { RequestPipeline } from '../pipeline/request-pipeline';

/**
 * "Fetch a sample mail" → `decision` (api.md): what fetching the mail WOULD do, computed by
 * the SAME pipeline steps with side effects off — the database is read (threads, duplicates,
 * the loop breaker's and the rate limit's counts), nothing is written, queued or counted.
 * It answers for a regular fetch: the first import's "never acknowledged" is not assumed.
 */
@Injectable()
export class PipelineSampleDecider implements SampleDecider {
  constructor(
    private readonly pipeline: RequestPipeline,
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async decide(mailbox: Mailbox, raw: MailBytes): Promise<{ decision: Decision & Record<string, unknown>; message: SampleMessage | null }> {
    const mail = newRequestMail(raw, mailbox, { firstImport: false, maxMailBytes: this.config.maxMailBytes, spoolAboveBytes: this.config.spoolAboveBytes, receivedAt: null });
    const now = new Date();
    try {
      await this.pipeline.prepare(mail, { sideEffects: false, now });
      await this.db.run((em) => this.pipeline.store([mail], { sideEffects: false, now, em }));
      const decision = mail.decision;
      if (!decision) throw new Error('the pipeline made no decision');
      return { decision: { ...decision }, message: mail.parsed ? sampleMessageOf(mail.parsed) : null };
    } finally {
      // The raw mail is the caller's; large attachments spooled while parsing are ours.
      releaseAttachments(mail);
    }
  }
}

function sampleMessageOf(parsed: ParsedMail): SampleMessage {
  const text = parsed.text.trim();
  return {
    subject: parsed.subject || null,
    from: parsed.from ? addressText(parsed.from) : null,
    to: parsed.to.map(addressText).join(', ') || null,
    date: parsed.date?.toISOString() ?? null,
    messageId: parsed.messageId,
    size: parsed.size,
    text: text.length > SAMPLE_TEXT_CHARS ? text.slice(0, SAMPLE_TEXT_CHARS) : text,
    attachments: parsed.attachments.map((attachment) => ({ filename: attachment.filename, contentType: attachment.contentType, size: attachment.size })),
  };
}

function addressText(address: MailAddress): string {
  return address.name ? `${address.name} <${address.email}>` : address.email;
}
