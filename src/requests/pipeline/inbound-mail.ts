import type { MailBytes } from '../../core/spool/spooled-bytes';
import type { QuarantineReason } from '../parsing/mail-errors';
import type { MailAddress, ParsedMail } from '../parsing/parsed-mail';

/**
 * The typed context one fetched mail carries through the pipeline steps (style.md, "The
 * pipeline as an ordered list of small steps"). Each step reads what earlier steps wrote
 * and adds its own field; nothing here knows a protocol or a database.
 */

/** The settings of the receiving mailbox that decide what happens to a mail (api.md, Mailboxes). */
export interface MailboxPolicy {
  id: string;
  /** The helpdesk's own addresses for this mailbox: mail from them never starts a request. */
  emailAddresses: readonly string[];
  /** false: "disable new request creation by email" — replies are still appended. */
  createRequests: boolean;
  /** outgoing.acknowledge: acknowledge new requests. */
  acknowledge: boolean;
  fallbackCharset: string;
  loopLimit: { count: number; minutes: number };
  maxMailBytes: number;
  /** An attachment larger than this is decoded into a spool file (DESKMAIL_SPOOL_ABOVE_KB). */
  spoolAboveBytes: number;
  /** The mailbox's first fetch (importExisting): old mail never gets acknowledgements. */
  firstImport: boolean;
}

/** Rules that keep a mail from being acknowledged; the first that matches is recorded. */
export type LoopRule =
  | 'bounce'
  | 'own-address'
  | 'out-of-office'
  | 'auto-submitted'
  | 'x-autoreply'
  | 'precedence'
  | 'list-id'
  | 'x-auto-response-suppress';

export interface AutoReplyVerdict {
  /** The mail was sent by a machine (auto-reply, out-of-office, bounce, bulk), not a person. */
  isAutoReply: boolean;
  /** The loop-protection rule that matched; set means "never acknowledge". */
  rule?: LoopRule;
  /** What matched, for people: "Auto-Submitted: auto-replied". */
  reason?: string;
}

/** What the thread lookup should look for; the lookup itself is a database step. */
export interface ThreadHints {
  /** In-Reply-To first, then References newest first, without duplicates: the lookup order. */
  messageIds: string[];
  /** The id a match on counts as 'in-reply-to' (for a bounce: the bounced message's own id). */
  inReplyTo: string | null;
  /** The number in the first `[##<number>##]` subject token. */
  requestNumber: number | null;
}

export type ThreadMatchedBy = 'in-reply-to' | 'references' | 'subject-token';

/** Written by the database thread step: the request the mail belongs to. */
export interface ThreadMatch {
  requestId: string;
  requestNumber: number;
  matchedBy: ThreadMatchedBy;
}

export interface Quarantine {
  reason: QuarantineReason;
  /** One sentence an admin can act on. */
  detail: string;
}

export type DecisionOutcome = 'new request' | 'append' | 'ignored' | 'quarantine';

/**
 * What the pipeline does (or, in a dry run, would do) with the mail: the `decision` object of
 * api.md's sample-mail answer. Fields beyond the contract's are additions, never renames.
 */
export interface Decision {
  outcome: DecisionOutcome;
  /** The request number it is appended to. */
  request: number | null;
  /** What decided the outcome: a ThreadMatchedBy, 'new-thread', a LoopRule, or the quarantine reason. */
  rule: string;
  autoReply: boolean;
  /** The decision in one or two sentences, including why no acknowledgement is sent. */
  reason: string;
  requester: MailAddress | null;
  acknowledge: boolean;
  /** Why a new request is not acknowledged: a LoopRule, 'first-import', 'rate-limit' or 'mailbox-setting'. */
  acknowledgementSuppressedBy: string | null;
}

export interface InboundMail {
  /** In memory, or spooled when large (core/spool). */
  readonly raw: MailBytes;
  readonly mailbox: MailboxPolicy;
  /** parse step */
  parsed?: ParsedMail;
  /** parse step: `parsed.html` made safe; null when the mail has no HTML. */
  sanitizedHtml?: string | null;
  /** identify step: Message-ID, or `sha256:<hex>` of the raw bytes. */
  identity?: string;
  /** identify step: Reply-To, else From, else Sender, else Return-Path. */
  requester?: MailAddress | null;
  /** identify step: sent from (or replying to) one of `mailbox.emailAddresses`. */
  ownAddress?: boolean;
  /** loop-check step */
  autoReply?: AutoReplyVerdict;
  /** loop-check step: a delivery report or mailer-daemon mail; appended as a note, never a new request. */
  bounce?: boolean;
  /** thread-hints step */
  threadHints?: ThreadHints;
  /** database thread step: null when no request matched. */
  thread?: ThreadMatch | null;
  /** database acknowledgement rate step: the requester had too many acknowledgements this hour. */
  acknowledgementRateLimited?: boolean;
  /** Any step that gives up on the mail; later steps only run if they handle quarantined mail. */
  quarantine?: Quarantine;
  /** decide step */
  decision?: Decision;
}

export interface StepContext {
  /**
   * false for the sample-mail dry run (api.md "decision"): steps compute what they would do
   * and write nothing — no rows, no outbox, no metrics, no logs about the mail.
   */
  readonly sideEffects: boolean;
  readonly now: Date;
}

/**
 * One step of the pipeline. A step that needs the database, the outbox or metrics gets them
 * through its constructor (Nest DI), so the list of steps stays one array of instances and a
 * step can be tested with fakes.
 */
export interface PipelineStep {
  /** Stable name for logs and metrics: "parse", "loop-check". */
  readonly name: string;
  /** Runs even after an earlier step put the mail in quarantine (identify, decide, store). */
  readonly runsOnQuarantined?: boolean;
  run(mail: InboundMail, context: StepContext): Promise<void>;
}

export function newInboundMail(raw: MailBytes, mailbox: MailboxPolicy): InboundMail {
  return { raw, mailbox };
}

/** Runs `steps` in order over one mail; once it is quarantined only steps that handle that run. */
export async function runSteps(steps: readonly PipelineStep[], mail: InboundMail, context: StepContext): Promise<InboundMail> {
  for (const step of steps) {
    if (mail.quarantine && !step.runsOnQuarantined) continue;
    await step.run(mail, context);
  }
  return mail;
}
