import { TooLargeError } from './mail-errors';

/**
 * How much work one mail may cost. Every limit turns into a quarantine reason ("too large",
 * "too complex") instead of a stalled mailbox (issue 6, "Bounded work per mail").
 *
 * The numbers are far above real mail and were measured on this project's 2-core machine:
 * mailparser splits 70 attachments / 9.6 MB in ~0.1 s and a 24 MB attachment in ~0.25 s;
 * sanitize-html needs ~1 s for 100,000 styled links (7.7 MB) but grows super-linearly with
 * nesting (50,000 nested <div>: 1.5 s), hence the separate depth limit.
 */
export interface MailLimits {
  /** design.md: "a configurable maximum mail size (default 25 MB)". */
  maxMailBytes: number;
  /** MIME parts of all kinds (mailparser `maxChildNodes`); also bounds nesting depth. */
  maxParts: number;
  maxAttachments: number;
  /** Nesting depth of attachments' MIME part numbers ("1.2.1.3" is 4). */
  maxPartDepth: number;
  /** Header block of one MIME part (mailparser `maxHeadSize`). */
  maxHeaderBytes: number;
  /** Decoded HTML body, in characters. */
  maxHtmlChars: number;
  /** HTML elements the sanitizer walks. */
  maxHtmlElements: number;
  /** HTML element nesting the sanitizer follows. */
  maxHtmlDepth: number;
  /** HTML longer than this is not converted to plain text when the mail has no text part (html-to-text is the slow step). */
  maxHtmlToTextChars: number;
  /** Wall-clock budget for parsing one mail, charset repair included. */
  parseDeadlineMs: number;
}

export const DEFAULT_MAIL_LIMITS: Readonly<MailLimits> = Object.freeze({
  maxMailBytes: 25 * 1024 * 1024,
  maxParts: 250,
  maxAttachments: 200,
  maxPartDepth: 30,
  maxHeaderBytes: 256 * 1024,
  maxHtmlChars: 5 * 1024 * 1024,
  maxHtmlElements: 100_000,
  maxHtmlDepth: 500,
  maxHtmlToTextChars: 1024 * 1024,
  parseDeadlineMs: 15_000,
});

export function withDefaultLimits(limits?: Partial<MailLimits>): MailLimits {
  return { ...DEFAULT_MAIL_LIMITS, ...limits };
}

/** The quarantine reason of a mail of `bytes` over `maxMailBytes`; null when it is not. */
export function tooLargeFor(bytes: number, limits: Pick<MailLimits, 'maxMailBytes'>): TooLargeError | null {
  if (bytes <= limits.maxMailBytes) return null;
  return new TooLargeError(`the mail is ${megabytes(bytes)}; this mailbox accepts at most ${megabytes(limits.maxMailBytes)}`);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
