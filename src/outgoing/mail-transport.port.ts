import type { Credentials, Deadlines, ServerEndpoint, TranscriptSink } from '../core/net/connection-options';

export type OutgoingProtocol = 'smtp' | 'smtps' | 'ews' | 'graph';

export interface Envelope {
  from: string;
  to: string[];
}

export interface SendResult {
  /** Which configured server took the mail. */
  server: 'primary' | 'alternate';
  /** The server's answer, e.g. `250 2.0.0 Ok: queued as ...`. */
  response: string;
}

/**
 * The one port every outgoing protocol implements: send finished MIME bytes (built once,
 * stored in the outbox, so a retry sends the same bytes and Message-ID). Failures are
 * thrown as the `MailError` family: `MessageRejectedError` (permanent), retryable ones
 * (`TemporaryRejectionError`, `ConnectionError`, `TimeoutError`, `ThrottledError`), or
 * `AuthenticationError` / `TlsError`.
 */
export interface MailTransport {
  send(envelope: Envelope, raw: Buffer): Promise<SendResult>;
  close(): Promise<void>;
}

export interface MailTransportOptions {
  protocol: OutgoingProtocol;
  endpoint: ServerEndpoint;
  /** Tried after a connection failure on the primary host (same port and settings). */
  alternateHost?: string | null;
  /** smtp: STARTTLS required (always true when credentials are sent). */
  requireTls: boolean;
  connectUrl?: string | null;
  credentials: Credentials;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
}

export type MailTransportFactory = (options: MailTransportOptions) => MailTransport;
