import { sanitizeMailHtml } from '../parsing/html-sanitizer';
import { RejectedMailError } from '../parsing/mail-errors';
import { withDefaultLimits, type MailLimits } from '../parsing/mail-limits';
import { parseMail } from '../parsing/mail-parser';
import type { InboundMail, PipelineStep } from '../pipeline/inbound-mail';

/**
 * Parses the raw mail and sanitizes its HTML. A mail that is too large, too complex or not
 * MIME at all is not an error of the pipeline: it goes to quarantine with the reason, and the
 * fetcher moves on (design.md: "The fetcher never stops on one bad mail").
 */
export class ParseStep implements PipelineStep {
  readonly name = 'parse';

  /** `limits` override the defaults of mail-limits.ts; the mailbox's maxMailBytes always wins. */
  constructor(private readonly limits: Partial<MailLimits> = {}) {}

  async run(mail: InboundMail): Promise<void> {
    const limits = withDefaultLimits({ ...this.limits, maxMailBytes: mail.mailbox.maxMailBytes });
    try {
      const parsed = await parseMail(mail.raw, { fallbackCharset: mail.mailbox.fallbackCharset, limits, spoolAboveBytes: mail.mailbox.spoolAboveBytes });
      mail.sanitizedHtml = parsed.html === null ? null : sanitizeMailHtml(parsed.html, limits);
      mail.parsed = parsed;
    } catch (error) {
      // parseMail turns every library failure into a RejectedMailError; anything else is
      // still about this one mail, and quarantine keeps it retryable once fixed.
      mail.quarantine =
        error instanceof RejectedMailError
          ? { reason: error.reason, detail: error.detail }
          : { reason: 'unparseable', detail: `the mail could not be parsed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
