import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type MessageDirection = 'in' | 'out';
/** mail: a person's (or a machine's) incoming mail; note: a bounce appended to the request it is about. */
export type MessageKind = 'mail' | 'note' | 'acknowledgement' | 'reply';

export interface StoredAddress {
  name: string | null;
  email: string;
}

/** The de-duplication constraint: one message per mail identity per mailbox (design.md). */
export const MESSAGE_IDENTITY_CONSTRAINT = 'uq_message_mailbox_identity';

/**
 * One mail of a request, incoming or outgoing. `identity` (the Message-ID, or `sha256:<hex>`
 * of the raw mail when it has none) is unique per mailbox: that constraint, not a lookup,
 * is what makes fetching exactly-once across retries, UIDVALIDITY resets and processes.
 * Outgoing mails carry their own Message-ID as identity, so our own mail fetched back (a Cc
 * to the helpdesk) is a duplicate, not a new request.
 */
@Entity('message')
@Unique(MESSAGE_IDENTITY_CONSTRAINT, ['mailboxId', 'identity'])
@Index(['requestId', 'seq'])
@Index(['messageId'])
// The loop breaker: mails of one requester with one normalized subject in a time window.
@Index(['mailboxId', 'requesterEmail', 'subjectKey', 'receivedAt'])
// The acknowledgement rate limit: acknowledgements to one requester in the last hour.
@Index(['requesterEmail', 'kind', 'createdAt'])
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Storage order: messages of one transaction share created_at, this tells them apart. */
  @Column('bigint')
  @Generated('increment')
  seq: string;

  @Column('uuid')
  requestId: string;

  @Column('uuid')
  mailboxId: string;

  @Column('varchar', { length: 3 })
  direction: MessageDirection;

  @Column('varchar', { length: 16 })
  kind: MessageKind;

  @Column('jsonb', { nullable: true })
  from: StoredAddress | null;

  @Column('jsonb', { default: () => "'[]'" })
  to: StoredAddress[];

  @Column('jsonb', { default: () => "'[]'" })
  cc: StoredAddress[];

  @Column('text')
  subject: string;

  /** Without angle brackets; null for incoming mail without one. */
  @Column('varchar', { length: 1000, nullable: true })
  messageId: string | null;

  @Column('varchar', { length: 1000 })
  identity: string;

  /** The Date header; null when missing or unreadable. */
  @Column('timestamptz', { nullable: true })
  date: Date | null;

  @Column('text')
  text: string;

  /** Sanitized HTML (html-sanitizer.ts); null when the mail had none. */
  @Column('text', { nullable: true })
  html: string | null;

  @Column('varchar', { length: 1000, nullable: true })
  inReplyTo: string | null;

  @Column('jsonb', { default: () => "'[]'" })
  references: string[];

  /** A bounce (delivery report) appended to the request whose mail bounced. */
  @Column('boolean', { default: false })
  isNote: boolean;

  /** Machine-made mail: auto-replies, bounces, our acknowledgements. */
  @Column('boolean', { default: false })
  autoReply: boolean;

  /** Incoming: the requester (Reply-To or From); outgoing: the recipient. Lower-cased. */
  @Column('varchar', { length: 320, nullable: true })
  requesterEmail: string | null;

  /** SHA-256 (hex) of the normalized subject, what the loop breaker groups by. */
  @Column('varchar', { length: 64, nullable: true })
  subjectKey: string | null;

  /** When the server received it (IMAP INTERNALDATE) or, without one, when it was stored. */
  @Column('timestamptz')
  receivedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
