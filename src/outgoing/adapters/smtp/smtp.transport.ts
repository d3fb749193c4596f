import { isIP } from 'node:net';
import { PassThrough } from 'node:stream';
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
    /** Not a byte of the message was handed to the server (it may go over another session). */
    readonly untouched = false,
  ) {}
}

/** A logged-in session, kept between sends of one transport; `onFailure` routes its socket errors to the send in flight. */
interface ReusableSession {
  host: string;
  connection: SMTPConnection;
  messages: number;
  onFailure: ((error: unknown) => void) | null;
}

/** Mails over one session before it is ended (nodemailer's pool default): servers cap sessions too. */
const MAX_MESSAGES_PER_SESSION = 100;

/**
 * Sends finished MIME bytes over SMTP (`smtp` + STARTTLS, or `smtps`) with nodemailer's
 * SMTP client: the bytes sent unchanged (the outbox built the Message-ID), the alternate
 * host after a connection failure, failures mapped to the MailError family. A session that
 * delivered a mail is kept for the next send of the same transport until `close()`: the
 * outbox uses one transport per mailbox for one round of sends, so a backlog costs one TLS
 * handshake and login per session, not per mail (measured: bench/outbox.bench.ts).
 */
export class SmtpTransport implements MailTransport {
  private readonly port: number;
  private readonly openConnections = new Set<SMTPConnection>();
  private readonly idle = new Map<string, ReusableSession[]>();

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

  /** Ends idle sessions politely (RFC 5321 §4.1.1.10: QUIT, closed on the 221) and drops any still busy. */
  async close(): Promise<void> {
    for (const session of [...this.idle.values()].flat()) {
      this.openConnections.delete(session.connection);
      session.connection.quit();
    }
    this.idle.clear();
    for (const connection of this.openConnections) connection.close();
    this.openConnections.clear();
  }

  /**
   * One host: an idle session of this transport if there is one, else a new session, and a
   * second new one when a refused OAuth2 token earned one forced refresh.
   */
  private async deliver(host: string, envelope: Envelope, raw: Buffer, login: XOAuth2Login | null): Promise<string> {
    const reusable = this.takeIdle(host);
    if (reusable) {
      try {
        return await this.sendOver(reusable, envelope, raw);
      } catch (failure) {
        // The server may close an idle session, or refuse more mail on it (4xx), before a byte
        // of this message went out: then it goes over a new session, as nodemailer's pool does.
        if (!(failure instanceof SessionFailure) || !failure.untouched || !isTransient(failure.error)) throw failure;
      }
    }
    try {
      return await this.runSession(host, envelope, raw, login);
    } catch (failure) {
      const refused = failure instanceof SessionFailure && failure.phase === 'auth';
      if (!login || !refused || !login.retryWithFreshToken(failure.error)) throw failure;
      return await this.runSession(host, envelope, raw, login);
    }
  }

  /** connect (+ STARTTLS) → AUTH → MAIL/RCPT/DATA, resolved with the server's final reply; the session is kept for the next mail. */
  private runSession(host: string, envelope: Envelope, raw: Buffer, login: XOAuth2Login | null): Promise<string> {
    const session: ReusableSession = { host, connection: new SMTPConnection(this.connectionOptions(host)), messages: 0, onFailure: null };
    const { connection } = session;
    this.openConnections.add(connection);
    // Socket failures and deadlines arrive as 'error' events, not through the callbacks.
    connection.on('error', (error) => session.onFailure?.(error));
    connection.once('end', () => {
      this.openConnections.delete(connection);
      this.dropIdle(session);
      // The server may drop an idle session while we wait for a token: nodemailer then ends quietly.
      session.onFailure?.(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' }));
    });
    return new Promise((resolve, reject) => {
      let phase: SessionPhase = 'connect';
      const fail = (error: unknown): void => {
        session.onFailure = null;
        connection.close();
        reject(new SessionFailure(phase, error));
      };
      session.onFailure = fail;
      connection.connect((error) => {
        if (error) return fail(error);
        phase = 'auth';
        this.authenticate(connection, host, login, (error) => {
          if (error) return fail(error);
          session.onFailure = null;
          this.sendOver(session, envelope, raw).then(resolve, reject);
        });
      });
    });
  }

  /** MAIL/RCPT/DATA on a logged-in session; on success the session waits for the next mail. */
  private sendOver(session: ReusableSession, envelope: Envelope, raw: Buffer): Promise<string> {
    const message = new PassThrough();
    message.end(raw);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown, response?: string): void => {
        if (settled) return;
        settled = true;
        session.onFailure = null;
        if (error) {
          session.connection.close();
          reject(new SessionFailure('send', error, !message.readableDidRead));
        } else {
          this.release(session);
          resolve(response ?? '');
        }
      };
      session.onFailure = (error) => settle(error);
      session.connection.send(smtpEnvelope(envelope, raw), message, (error, info) => settle(error, info?.response));
    });
  }

  private takeIdle(host: string): ReusableSession | undefined {
    return this.idle.get(host)?.pop();
  }

  /** After a delivered mail: kept for the next one until close(), or ended after MAX_MESSAGES_PER_SESSION. */
  private release(session: ReusableSession): void {
    session.messages += 1;
    if (session.messages >= MAX_MESSAGES_PER_SESSION || !this.openConnections.has(session.connection)) {
      session.connection.quit();
      return;
    }
    this.idle.set(session.host, [...(this.idle.get(session.host) ?? []), session]);
  }

  private dropIdle(session: ReusableSession): void {
    const list = this.idle.get(session.host);
    if (list?.includes(session)) this.idle.set(session.host, list.filter((s) => s !== session));
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

/** A failure another session may not have: a dropped connection, or a 4xx (nodemailer's isTransientError). */
function isTransient(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as { responseCode?: number; code?: string };
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return code === undefined || isConnectionFailure(error);
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
