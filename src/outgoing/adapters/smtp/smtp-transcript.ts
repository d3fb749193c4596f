import { format } from 'node:util';
import type { TranscriptSink } from '../../../core/net/connection-options';

export const REDACTED = '[redacted]';

/**
 * Removes SASL payloads from an SMTP transcript, one session at a time. RFC 4954 §4: the
 * client sends `AUTH <mechanism> [initial-response]`, then answers every `334` challenge
 * with one base64 line until the server ends the exchange with 235 or an error. All of
 * those client lines carry the user, the password or the token (AUTH LOGIN sends the user
 * and the password as two continuation lines), so each one is replaced; the mechanism name
 * and the server's replies stay, they are what one debugs with.
 */
export class AuthPayloadRedactor {
  private inSaslExchange = false;

  client(line: string): string {
    const auth = /^(AUTH\s+\S+)(\s+\S.*)?$/i.exec(line);
    if (auth) {
      this.inSaslExchange = true;
      return auth[2] ? `${auth[1]} ${REDACTED}` : auth[1];
    }
    // An empty line is the XOAUTH2 client's "I read your error" (it reveals nothing).
    if (this.inSaslExchange) return line === '' ? line : REDACTED;
    return line;
  }

  server(line: string): string {
    // Every 334 continues the exchange; any other reply ends it (RFC 4954 §4).
    if (this.inSaslExchange && !/^334[ -]?/.test(line)) this.inSaslExchange = false;
    return line;
  }
}

/**
 * A bunyan-style logger for nodemailer's SMTP client (`logger` + `transactionLog: true`)
 * that passes the protocol lines, redacted, to the mailbox's transcript. nodemailer logs
 * client lines as `{ tnx: 'client' }` and server replies as `{ tnx: 'server' }` (a multi-line
 * reply as one entry); everything else it logs (connection notes, message body with
 * `debug`) stays out of the transcript.
 */
export function createTranscriptLogger(sink: TranscriptSink): Record<string, (...args: unknown[]) => void> {
  const redactor = new AuthPayloadRedactor();
  const write = (direction: 'client' | 'server', line: string): void => {
    try {
      sink(direction, line);
    } catch {
      // A failing debug log must never fail a delivery.
    }
  };
  const log = (entry: unknown, message?: unknown, ...args: unknown[]): void => {
    const tnx = (entry as { tnx?: string } | undefined)?.tnx;
    if (tnx !== 'client' && tnx !== 'server') return;
    const text = args.length ? format(String(message ?? ''), ...args) : String(message ?? '');
    for (const line of text.split(/\r?\n/)) {
      if (tnx === 'client') write('client', redactor.client(line));
      else write('server', redactor.server(line));
    }
  };
  return { trace: log, debug: log, info: log, warn: log, error: log, fatal: log };
}
