import { DomainError } from '../../core/errors';

/**
 * Why a mail goes to quarantine instead of becoming a request. The strings are what
 * `GET /v1/quarantine` shows as `reason` and what metrics are labelled with, so they are
 * stable, short and human ("too complex", "loop" — api.md, issue 6).
 */
export type QuarantineReason =
  | 'too large'
  | 'too complex'
  | 'unparseable'
  | 'no sender'
  | 'loop'
  | 'not turned into a request'
  | 'storage failed';

/**
 * A mail that cannot become a request as it is. Not a server error: the fetcher
 * acknowledges the mail like any other and the pipeline keeps it raw in quarantine with
 * `reason` and `detail` (design.md, "Mail into requests"). 422 if one ever reaches a controller.
 */
export abstract class RejectedMailError extends DomainError {
  readonly status = 422;
  abstract readonly reason: QuarantineReason;

  constructor(
    /** One sentence an admin can act on, e.g. "the mail is 31.4 MB; this mailbox accepts at most 25 MB". */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** Bigger than the mailbox's maximum mail size (default 25 MB). Checked before any parsing. */
export class TooLargeError extends RejectedMailError {
  readonly reason = 'too large' as const;
}

/**
 * More work than one mail may cost: too many MIME parts or attachments, too much or too
 * deeply nested HTML, or the parse deadline passed. Keeps one pathological mail from
 * stalling the whole mailbox (issue 6, "Bounded work per mail").
 */
export class TooComplexError extends RejectedMailError {
  readonly reason = 'too complex' as const;
}

/** Not a mail at all (no header section, empty) or MIME the parser refused. */
export class UnparseableMailError extends RejectedMailError {
  readonly reason = 'unparseable' as const;
}
