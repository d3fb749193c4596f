import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import SMTPConnection, { type SMTPConnectionAuth, type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';
import { AuthenticationError, MailError, ProtocolError } from '../../../core/errors';
import type { Envelope, MailTransport, MailTransportOptions, SendResult } from '../../mail-transport.port';
import { classifyDeliveryError, isConnectionFailure, type DeliveryContext } from './delivery-error.classifier';
import { createTranscriptLogger } from './smtp-transcript';
import { XOAuth2Login } from './xoauth2.login';

/** RFC 6409 §3.1 submission port for `smtp` (STARTTLS); RFC 8314 §3.3 implicit TLS for `smtps`. */
export const DEFAULT_SMTP_PORTS = { smtp: 587, smtps: 465 } as const;

/** Which step of a session failed: only failures while connecting may move on to the alternate host. */
type SessionPhase = 'connect' | 'auth' | 'send';

class SessionFailure {
  constructor(
    readonly phase: SessionPhase,
    readonly error: unknown,
  ) {}
}

/**
 * Sends finished MIME bytes over SMTP (`smtp` + STARTTLS, or `smtps`) with nodemailer's
 * SMTP client: one connection per send (outbox sends are rare enough that pooling buys
 * nothing and a fresh session never carries a stale login), the bytes sent unchanged (the
 * outbox built the Message-ID), the alternate host after a connection failure, failures
 * mapped to the MailError family.
 */
export class SmtpTransport implements MailTransport {
  private readonly port: number;
  private readonly openConnections = new Set<SMTPConnection>();

  constructor(private readonly options: MailTransportOptions) {
    if (options.protocol !== 'smtp' && options.protocol !== 'smtps') {
      throw new ProtocolError(`SmtpTransport cannot send over ${options.protocol}`);
    }
    this.port = options.endpoint.port || DEFAULT_SMTP_PORTS[options.protocol];
  }

  async send(envelope: Envelope, raw: Buffer): Promise<SendResult> {
    const login = this.options.credentials.kind === 'oauth2' ? new XOAuth2Login(this.options.credentials) : null;
    const primary = this.options.endpoint.host;
    try {
      return { server: 'primary', response: await this.deliver(primary, envelope, raw, login) };
    } catch (primaryFailure) {
      const alternate = this.options.alternateHost?.trim();
      if (!alternate || alternate === primary || !isUnreachable(primaryFailure)) {
        throw this.toMailError(primaryFailure, primary, login);
      }
      try {
        return { server: 'alternate', response: await this.deliver(alternate, envelope, raw, login) };
      } catch (alternateFailure) {
        const error = this.toMailError(alternateFailure, alternate, login);
        if (isUnreachable(alternateFailure)) {
          // Both unreachable: the admin needs to see both hosts in one message.
          error.message = `${this.toMailError(primaryFailure, primary, login).message}; alternate host: ${error.message}`;
        }
        throw error;
      }
    }
  }

  async close(): Promise<void> {
    for (const connection of this.openConnections) connection.close();
    this.openConnections.clear();
  }

  /** One host: a session, and a second one when a refused OAuth2 token earned one forced refresh. */
  private async deliver(host: string, envelope: Envelope, raw: Buffer, login: XOAuth2Login | null): Promise<string> {
    try {
      return await this.runSession(host, envelope, raw, login);
    } catch (failure) {
      const refused = failure instanceof SessionFailure && failure.phase === 'auth';
      if (!login || !refused || !login.retryWithFreshToken(failure.error)) throw failure;
      return await this.runSession(host, envelope, raw, login);
    }
  }

  /** connect (+ STARTTLS) → AUTH → MAIL/RCPT/DATA → QUIT, resolved with the server's final reply. */
  private runSession(host: string, envelope: Envelope, raw: Buffer, login: XOAuth2Login | null): Promise<string> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(this.connectionOptions(host));
      this.openConnections.add(connection);
      let phase: SessionPhase = 'connect';
      let settled = false;
      const settle = (error: unknown, response?: string): void => {
        if (settled) return;
        settled = true;
        if (error) {
          connection.close();
          reject(new SessionFailure(phase, error));
        } else {
          connection.quit(); // RFC 5321 §4.1.1.10: end the session politely; nodemailer closes on the reply
          resolve(response ?? '');
        }
      };
      // Socket failures and deadlines arrive as 'error' events, not through the callbacks.
      connection.on('error', (error) => settle(error));
      connection.once('end', () => {
        this.openConnections.delete(connection);
        // The server may drop an idle session while we wait for a token: nodemailer then ends quietly.
        settle(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' }));
      });
      connection.connect((error) => {
        if (error) return settle(error);
        phase = 'auth';
        this.authenticate(connection, host, login, (error) => {
          if (error) return settle(error);
          phase = 'send';
          connection.send(smtpEnvelope(envelope, raw), raw, (error, info) => settle(error, info?.response));
        });
      });
    });
  }

  private authenticate(
    connection: SMTPConnection,
    host: string,
    login: XOAuth2Login | null,
    done: (error?: unknown) => void,
  ): void {
    const { credentials } = this.options;
    if (credentials.kind === 'none') return done();
    if (!connection.allowsAuth) {
      // nodemailer would quietly send without logging in; a relay that needs it then refuses (or accepts) the mail.
      return done(new AuthenticationError(`${host}:${this.port} offers no AUTH after EHLO (RFC 4954); check port and protocol`));
    }
    const auth: SMTPConnectionAuth =
      login?.authData() ?? { user: credentials.username, pass: credentials.kind === 'password' ? credentials.password : '' };
    connection.login(auth, (error) => done(error ?? undefined));
  }

  private connectionOptions(host: string): SMTPConnectionOptions {
    const { protocol, credentials, requireTls, deadlines, transcript } = this.options;
    const implicitTls = protocol === 'smtps';
    return {
      host,
      port: this.port,
      secure: implicitTls,
      // RFC 3207 §4: STARTTLS before any credential; nodemailer fails when it cannot upgrade.
      requireTLS: !implicitTls && (credentials.kind !== 'none' || requireTls),
      tls: this.tlsOptions(host),
      connectionTimeout: deadlines.connectMs,
      greetingTimeout: deadlines.connectMs,
      dnsTimeout: deadlines.connectMs,
      socketTimeout: deadlines.commandMs,
      // transactionLog gives client and server lines without the message body (`debug` would log it).
      logger: transcript ? createTranscriptLogger(transcript) : false,
      transactionLog: !!transcript,
    };
  }

  /** System roots plus the mailbox's own CA (Node's `ca` replaces the roots, hence both); names always verified. */
  private tlsOptions(host: string): TlsConnectionOptions {
    const ca = this.options.endpoint.caCertificate?.trim();
    return {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca: [...rootCertificates, ca] } : {}),
    };
  }

  private toMailError(failure: unknown, host: string, login: XOAuth2Login | null): MailError {
    if (login?.tokenSourceError) {
      const error = login.tokenSourceError;
      if (error instanceof MailError) return error;
      const user = this.options.credentials.kind === 'oauth2' ? this.options.credentials.username : '';
      return new AuthenticationError(`no OAuth2 access token for ${user}: ${describe(error)}`, { cause: error });
    }
    return classifyDeliveryError(failure instanceof SessionFailure ? failure.error : failure, this.context(host));
  }

  private context(host: string): DeliveryContext {
    const { credentials, deadlines } = this.options;
    return {
      host,
      port: this.port,
      auth: credentials.kind,
      username: credentials.kind === 'none' ? undefined : credentials.username,
      connectMs: deadlines.connectMs,
      commandMs: deadlines.commandMs,
    };
  }
}

function isUnreachable(failure: unknown): boolean {
  return failure instanceof SessionFailure && failure.phase === 'connect' && isConnectionFailure(failure.error);
}

/** RFC 1870 SIZE lets the server refuse an oversized mail before DATA; RFC 6152 8BITMIME for 8-bit bodies. */
function smtpEnvelope(envelope: Envelope, raw: Buffer) {
  return { from: envelope.from, to: envelope.to, size: raw.length, use8BitMime: hasEightBitBytes(raw) };
}

function hasEightBitBytes(raw: Buffer): boolean {
  for (let i = 0; i < raw.length; i++) if (raw[i] > 0x7f) return true;
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
