import type { EntityManager } from 'typeorm';
import type { MailBytes } from '../core/spool/spooled-bytes';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import type { LedgerOutcome } from './ledger/ledger-entry.entity';

/**
 * The seam between fetching (protocols) and the requests pipeline (mail): the fetch runner
 * hands raw bytes over, the intake decides what they become. `prepare` is the CPU part
 * (parsing), run outside any transaction; `store` runs inside the runner's transaction, so
 * the outcome and the ledger row commit together — for a whole chunk of mails at once.
 */
export interface IntakeContext {
  mailbox: Mailbox;
  /** Mail that was already on the server when the mailbox was created: never acknowledged to the requester. */
  firstImport: boolean;
  receivedAt: Date | null;
}

export interface PreparedMail {
  raw: MailBytes;
  /** De-duplication identity: the Message-ID, or a hash of the raw bytes. */
  identity: string;
  messageId: string | null;
}

export interface IntakeResult {
  outcome: Exclude<LedgerOutcome, 'ignored'>;
  requestId: string | null;
  messageId: string | null;
}

/** A prepared mail with the context it was prepared in. */
export interface IntakeItem {
  mail: PreparedMail;
  context: IntakeContext;
}

export interface MailIntake {
  prepare(raw: MailBytes, context: IntakeContext): Promise<PreparedMail>;
  /**
   * Stores prepared mails of one mailbox, in order, as a batch; one result per item, in the
   * same order. `afterCommit` collects what must wait for the caller's commit (metrics).
   */
  store(em: EntityManager, items: readonly IntakeItem[], afterCommit?: AfterCommit): Promise<IntakeResult[]>;
  /** Keeps a mail that could not be stored, raw, with the reason (called in a fresh savepoint after `store` failed). */
  quarantine(em: EntityManager, raw: MailBytes, reason: string, context: IntakeContext, afterCommit?: AfterCommit): Promise<IntakeResult>;
  /**
   * The runner is done with the mail (stored, quarantined or given up): spool files of the
   * mail and of what preparing it made (large attachments) are closed.
   */
  release(raw: MailBytes): void;
}

/** Takes an effect to run once the caller's transaction has committed. */
export type AfterCommit = (effect: () => void) => void;

export const MAIL_INTAKE = Symbol('MAIL_INTAKE');
