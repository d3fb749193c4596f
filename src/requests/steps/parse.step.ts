import { RejectedMailError } from '../parsing/mail-errors';
import { tooLargeFor, withDefaultLimits, type MailLimits } from '../parsing/mail-limits';
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
    // Too large is known from the size alone: no parser to load for it.
    const tooLarge = tooLargeFor(mail.raw.length, limits);
    if (tooLarge) return void (mail.quarantine = { reason: tooLarge.reason, detail: tooLarge.detail });
    try {
      const { parseMail, sanitizeMailHtml } = parsingLibraries();
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

/**
 * mailparser, sanitize-html and html-to-text, loaded where mail is parsed: on the parse
 * workers, and on the main thread only when they are off. A service that never parses on its
 * main thread does not carry them there (about 6 MB of its resident memory).
 */
function parsingLibraries(): { parseMail: typeof import('../parsing/mail-parser').parseMail; sanitizeMailHtml: typeof import('../parsing/html-sanitizer').sanitizeMailHtml } {
  const { parseMail } = require('../parsing/mail-parser') as typeof import('../parsing/mail-parser');
  const { sanitizeMailHtml } = require('../parsing/html-sanitizer') as typeof import('../parsing/html-sanitizer');
  return { parseMail, sanitizeMailHtml };
}
