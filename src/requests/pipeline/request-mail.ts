import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { normalizeSubject } from '../parsing/subject';
import type { InboundMail, MailboxPolicy, StepContext } from './inbound-mail';

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

/** What the database steps get besides the dry-run flag: the transaction (or, in a dry run, a read-only manager). */
export interface StoreContext extends StepContext {
  readonly em: EntityManager;
}

export function mailboxPolicy(mailbox: Mailbox, options: { firstImport: boolean; maxMailBytes: number }): MailboxPolicy {
  return {
    id: mailbox.id,
    emailAddresses: mailbox.emailAddresses ?? [],
    createRequests: mailbox.incoming.createRequests !== false,
    acknowledge: !!mailbox.outgoing?.acknowledge,
    fallbackCharset: mailbox.incoming.fallbackCharset || 'windows-1252',
    loopLimit: mailbox.incoming.loopLimit ?? { count: 5, minutes: 60 },
    maxMailBytes: options.maxMailBytes,
    firstImport: options.firstImport,
  };
}

export function newRequestMail(raw: Buffer, mailbox: Mailbox, options: { firstImport: boolean; maxMailBytes: number; receivedAt: Date | null }): RequestMail {
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
