import type { EntityManager } from 'typeorm';

/**
 * How the rest of the service sends mail: it never talks to a transport, it ENQUEUES in
 * the caller's transaction (so a request and its acknowledgement commit together, or
 * neither), and the outbox sender delivers with retries. The outbox builds the MIME once
 * (From: "<senderName>" <senderAddress>, Reply-To, a Message-ID on the mailbox's domain,
 * In-Reply-To / References, Auto-Submitted for auto-replies) and stores it, so a retry
 * sends the same bytes and the same Message-ID.
 */
export interface OutgoingAddress {
  name?: string | null;
  email: string;
}

export interface OutgoingMail {
  mailboxId: string;
  /** The request this mail belongs to (null for test mails). */
  requestId: string | null;
  kind: 'acknowledgement' | 'reply' | 'test';
  to: OutgoingAddress[];
  cc?: OutgoingAddress[];
  /** Final subject, including the request token `[##<number>##]` where one applies. */
  subject: string;
  text: string;
  html?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  /** Acknowledgements: `Auto-Submitted: auto-replied` and `X-Auto-Response-Suppress: All` (RFC 3834). */
  autoReply?: boolean;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}

export interface QueuedMail {
  /** Outbox row id. */
  id: string;
  /** The Message-ID the mail carries (without angle brackets). */
  messageId: string;
  /** The exact bytes that will be sent. */
  raw: Buffer;
}

export interface Outbox {
  enqueue(em: EntityManager, mail: OutgoingMail): Promise<QueuedMail>;
}

export const OUTBOX = Symbol('OUTBOX');
