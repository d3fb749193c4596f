import { ProtocolError } from '../../../core/errors';
import { downloadDeadlineMs } from '../../../core/net/deadline';
import type {
  AfterFetchAction,
  FetchedMail,
  ListNewResult,
  MailRef,
  MailSource,
  MailSourceOptions,
  SourceCursor,
} from '../../mail-source.port';
import { ServerContext, hostPort, serverContext, tlsUpgradeUnavailable } from '../error-mapping';
import { tlsOptionsFor } from '../tls-options';
import { TranscriptRedactor } from '../transcript-redactor';
import { mapPop3Error } from './pop3-error.mapper';
import { Pop3Client } from './pop3.client';

/** TOP with more body lines than any mail has: the whole message, without RETR's side effects. */
const WHOLE_MESSAGE_LINES = 999_999_999;

/**
 * POP3 (RFC 1939). POP has no order cursor: the cursor is `{}` and `listNew` answers every
 * message in the maildrop (UIDL + LIST), oldest (lowest message number) first, ignoring
 * `limit` on purpose: which of them are new only the ledger knows, so the fetch runner
 * filters by UIDL first and applies its limit afterwards (design.md "POP uses UIDL").
 *
 * Message numbers are only valid within one session (RFC 1939 §5), so each session keeps
 * its own UIDL → number map; `acknowledge('delete')` ends the session with QUIT, because
 * DELE only takes effect in the UPDATE state (§6), and the next call opens a new one.
 */
export class Pop3Source implements MailSource {
  private client: Pop3Client | null = null;
  private numbers: Map<string, number> | null = null;
  private canTop = false;
  private readonly ctx: ServerContext;

  constructor(private readonly options: MailSourceOptions) {
    this.ctx = serverContext(options);
  }

  /**
   * Connects, upgrades and logs in. An OAuth2 refusal surfaces as AuthenticationError; the
   * one forced token refresh and second try live in SourceConnector, for every protocol.
   */
  async connect(): Promise<void> {
    await this.close();
    const { endpoint, deadlines, credentials, protocol } = this.options;
    const redactor = new TranscriptRedactor(this.options.transcript);
    const client = new Pop3Client({
      host: endpoint.host,
      port: endpoint.port,
      implicitTls: protocol === 'pops',
      tls: tlsOptionsFor(endpoint),
      connectMs: deadlines.connectMs,
      commandMs: deadlines.commandMs,
      redactor,
      spoolAboveBytes: this.options.spoolAboveBytes,
    });
    try {
      await client.connect();
      let capabilities = await client.capabilities();
      if (protocol === 'pop') {
        // api.md: no password or token ever crosses an unencrypted connection (RFC 2595 STLS).
        if (capabilities.has('STLS')) {
          await client.startTls();
          capabilities = await client.capabilities(); // RFC 2595 §4: forget what was said in clear
        } else if (credentials.kind !== 'none') {
          throw tlsUpgradeUnavailable(this.ctx, 'STLS', 'pops');
        }
      }
      this.canTop = capabilities.has('TOP');
      await this.logIn(client, capabilities, redactor);
      this.client = client;
    } catch (err) {
      client.destroy();
      throw mapPop3Error(err, this.ctx);
    }
  }

  async listNew(_cursor: SourceCursor | null, _options: { limit: number }): Promise<ListNewResult> {
    const client = await this.session();
    const numbers = await this.refreshNumbers(client);
    const sizes = new Map<number, number>();
    for (const line of await this.run(() => client.multiLine('LIST'))) {
      const [number, size] = line.toString('latin1').trim().split(/\s+/).map(Number);
      if (Number.isSafeInteger(number)) sizes.set(number, size);
    }
    const messages: MailRef[] = [...numbers]
      .sort((a, b) => a[1] - b[1])
      .map(([uidl, number]) => ({ serverId: uidl, size: sizes.get(number) ?? 0, receivedAt: null, cursorAfter: {} }));
    return { messages, cursorReset: false, cursor: {} };
  }

  async *fetch(refs: MailRef[]): AsyncIterable<FetchedMail> {
    if (refs.length === 0) return;
    const client = await this.session();
    const numbers = this.numbers ?? (await this.refreshNumbers(client));
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    for (const ref of refs) {
      const number = numbers.get(ref.serverId);
      // Gone since the listing (another client deleted it): nothing to import.
      if (number === undefined) continue;
      const raw = await this.run(() => client.message(`RETR ${number}`, downloadDeadlineMs(ref.size, commandMs, downloadMsPerMiB), ref.size));
      yield { ref, raw };
    }
  }

  async acknowledge(refs: MailRef[], action: AfterFetchAction, _options?: { moveTo?: string | null }): Promise<void> {
    if (action === 'keep' || refs.length === 0) return;
    if (action !== 'delete') throw new ProtocolError(`POP3 cannot "${action}" a message; use delete or keep`);
    const client = await this.session();
    const numbers = this.numbers ?? (await this.refreshNumbers(client));
    for (const ref of refs) {
      const number = numbers.get(ref.serverId);
      if (number !== undefined) await this.run(() => client.command(`DELE ${number}`));
    }
    // RFC 1939 §6: the deletions are committed only by QUIT; a dropped connection undoes them.
    this.client = null;
    this.numbers = null;
    await this.run(() => client.quit());
  }

  async sampleOldest(): Promise<FetchedMail | null> {
    const client = await this.session();
    const count = Number((await this.run(() => client.command('STAT'))).split(/\s+/)[1]);
    if (!count) return null;
    // Single-line UIDL / LIST answer: `+OK 1 <uidl>`, `+OK 1 <octets>` (RFC 1939 §7, §5).
    const uidl = (await this.run(() => client.command('UIDL 1'))).split(/\s+/)[2] ?? '1';
    const size = Number((await this.run(() => client.command('LIST 1'))).split(/\s+/)[2]) || 0;
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    // TOP reads without side effects; RETR may set \Seen in servers that share the store with
    // IMAP (Dovecot sets it unless pop3_no_flag_updates). Never DELE: the sample changes nothing.
    const command = this.canTop ? `TOP 1 ${WHOLE_MESSAGE_LINES}` : 'RETR 1';
    const raw = await this.run(() => client.message(command, downloadDeadlineMs(size, commandMs, downloadMsPerMiB), size));
    await this.close();
    return { ref: { serverId: uidl, size: size || raw.length, receivedAt: null, cursorAfter: {} }, raw };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.numbers = null;
    if (!client) return;
    // No DELE is pending here (acknowledge quits right after its DELEs), so QUIT commits nothing.
    await client.quit().catch(() => undefined);
  }

  /** The open session, or a new one after acknowledge() ended the last with QUIT. */
  private async session(): Promise<Pop3Client> {
    if (!this.client?.connected) await this.connect();
    return this.client as Pop3Client;
  }

  private async logIn(client: Pop3Client, capabilities: Map<string, string[]>, redactor: TranscriptRedactor): Promise<void> {
    const credentials = this.options.credentials;
    const sasl = capabilities.get('SASL') ?? [];
    if (credentials.kind === 'password') {
      redactor.addSecret(credentials.password);
      if (capabilities.size > 0 && !capabilities.has('USER') && sasl.includes('PLAIN')) {
        const plain = Buffer.from(`\0${credentials.username}\0${credentials.password}`).toString('base64');
        return client.authenticate('PLAIN', plain, '*');
      }
      await client.command(`USER ${credentials.username}`);
      await client.command(`PASS ${credentials.password}`);
    } else if (credentials.kind === 'oauth2') {
      const token = await credentials.accessToken();
      redactor.addSecret(token);
      // XOAUTH2 first: Gmail and Outlook offer only it; OAUTHBEARER (RFC 7628) when it is all there is.
      if (sasl.includes('OAUTHBEARER') && !sasl.includes('XOAUTH2')) {
        const { host, port } = this.options.endpoint;
        const payload = `n,a=${saslName(credentials.username)},\x01host=${host}\x01port=${port}\x01auth=Bearer ${token}\x01\x01`;
        return client.authenticate('OAUTHBEARER', Buffer.from(payload).toString('base64'), 'AQ==');
      }
      const payload = `user=${credentials.username}\x01auth=Bearer ${token}\x01\x01`;
      await client.authenticate('XOAUTH2', Buffer.from(payload).toString('base64'), '');
    }
  }

  private async refreshNumbers(client: Pop3Client): Promise<Map<string, number>> {
    const numbers = new Map<string, number>();
    let lines: Buffer[];
    try {
      lines = await this.run(() => client.multiLine('UIDL'));
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new ProtocolError(`${hostPort(this.ctx)} does not support UIDL, which deskmail needs to never fetch a mail twice`, { cause: err });
      }
      throw err;
    }
    for (const line of lines) {
      const [number, uidl] = line.toString('latin1').trim().split(/\s+/);
      if (uidl && Number.isSafeInteger(Number(number))) numbers.set(uidl, Number(number));
    }
    this.numbers = numbers;
    return numbers;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapPop3Error(err, this.ctx);
    }
  }
}

/** RFC 5801 §4: "," and "=" in the GS2 authzid are written =2C and =3D. */
function saslName(value: string): string {
  return value.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
