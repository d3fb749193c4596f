import type { AppConfig } from '../../core/config/app-config';
import { releaseBytes, type MailBytes } from '../../core/spool/spooled-bytes';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AfterCommit } from '../../incoming/mail-intake.port';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { normalizeSubject } from '../parsing/subject';
import type { BatchReads } from './batch-reads';
import type { InboundMail, MailboxPolicy, Quarantine, StepContext } from './inbound-mail';

/**
 * The pipeline context once the database steps are in play: `InboundMail` plus what those
 * steps read and write. Kept apart from inbound-mail.ts so the pure steps stay free of the
 * database and of the mailbox entity.
 */
export interface RequestMail extends InboundMail {
  /** The mailbox as stored: outgoing settings for the acknowledgement. */
  readonly mailboxEntity: Mailbox;
  /** When the server received the mail (IMAP INTERNALDATE); null when the protocol does not say. */
  readonly receivedAt: Date | null;
  /**
   * The quarantine the prepare steps decided (too large, unparseable…), kept apart from
   * `quarantine`: storing a batch again after it failed starts the database steps afresh.
   */
  preparedQuarantine?: Quarantine | null;
  /** duplicate-check step: this mailbox already holds the mail (as a message or in quarantine); nothing else runs. */
  duplicate?: DuplicateOf;
  /** store step */
  stored?: StoredOutcome;
  /** acknowledge step: the acknowledgement queued to the outbox. */
  acknowledgement?: { outboxId: string; messageId: string } | null;
}

export type DuplicateOf =
  | { kind: 'message'; requestId: string; requestNumber: number }
  | { kind: 'quarantine'; quarantineId: string; reason: string };

export interface StoredOutcome {
  outcome: 'request' | 'appended' | 'duplicate' | 'quarantined';
  requestId: string | null;
  requestNumber: number | null;
  /** The message row (request / appended) or the quarantine row (quarantined). */
  rowId: string | null;
}

/** What the pipeline's database part is given: the transaction (or, in a dry run, a read-only manager). */
export interface DatabaseContext extends StepContext {
  readonly em: EntityManager;
  /** Collects what must wait for the transaction's commit (metrics); without it, effects happen at once. */
  readonly afterCommit?: AfterCommit;
}

/** What the database steps get: the transaction and what the lookup steps loaded for the batch. */
export interface StoreContext extends DatabaseContext {
  readonly reads: BatchReads;
}

export function mailboxPolicy(mailbox: Mailbox, options: MailSizeSettings & { firstImport: boolean }): MailboxPolicy {
  return {
    id: mailbox.id,
    emailAddresses: mailbox.emailAddresses ?? [],
    createRequests: mailbox.incoming.createRequests !== false,
    acknowledge: !!mailbox.outgoing?.acknowledge,
    fallbackCharset: mailbox.incoming.fallbackCharset || 'windows-1252',
    loopLimit: mailbox.incoming.loopLimit ?? { count: 5, minutes: 60 },
    maxMailBytes: options.maxMailBytes,
    spoolAboveBytes: options.spoolAboveBytes ?? Number.POSITIVE_INFINITY,
    firstImport: options.firstImport,
  };
}

/** The service's settings for mail size (app-config): what is too large, what is spooled (default: nothing). */
export type MailSizeSettings = Pick<AppConfig, 'maxMailBytes'> & Partial<Pick<AppConfig, 'spoolAboveBytes'>>;

export function newRequestMail(raw: MailBytes, mailbox: Mailbox, options: MailSizeSettings & { firstImport: boolean; receivedAt: Date | null }): RequestMail {
  return { raw, mailbox: mailboxPolicy(mailbox, options), mailboxEntity: mailbox, receivedAt: options.receivedAt };
}

/** What the loop breaker groups by: SHA-256 of the normalized subject (bounded, index-friendly). */
export function subjectKey(subject: string | null | undefined): string {
  return createHash('sha256').update(normalizeSubject(subject)).digest('hex');
}

/** The moment the mail counts at for time windows: the server's receive time, else now. */
export function eventTime(mail: RequestMail, context: StepContext): Date {
  return mail.receivedAt ?? context.now;
}

/** The one mailbox a batch of mails belongs to (the pipeline's database part takes one mailbox at a time). */
export function mailboxOf(mails: readonly RequestMail[]): string {
  const id = mails[0]?.mailbox.id;
  if (!id || mails.some((mail) => mail.mailbox.id !== id)) throw new Error('a batch holds the mails of exactly one mailbox');
  return id;
}

/** Counts a metric once the transaction holding the mail has committed (at once when nobody collects). */
export function onCommit(context: Pick<DatabaseContext, 'afterCommit'>, effect: () => void): void {
  if (context.afterCommit) context.afterCommit(effect);
  else effect();
}

/** Closes the spool files of a mail and of its large attachments; nothing for a mail in memory. */
export function releaseMail(mail: Pick<RequestMail, 'raw' | 'parsed'>): void {
  releaseBytes(mail.raw);
  releaseAttachments(mail);
}

/** Closes the spool files its parse made (large attachments); the raw mail is left to its holder. */
export function releaseAttachments(mail: Pick<RequestMail, 'parsed'>): void {
  for (const attachment of mail.parsed?.attachments ?? []) releaseBytes(attachment.content);
}
