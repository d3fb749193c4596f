import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { gzipSync } from 'node:zlib';

import type { AuthCoordinates } from './env';
import { MailStore, type SentMail, type StoredMessage } from './graph-emulator-mailstore';
import { introspect } from './oauth-client';

/**
 * What both emulators (Graph and EWS) share: a loopback HTTPS server with the harness's
 * trusted certificate, bearer tokens checked against the test authorization server by
 * introspection (RFC 7662, as Dovecot and the SMTP receivers do), programmable faults, a
 * request log, and the test API over the mail store.
 */
/** Answers from this size on are gzipped for a client that accepts it. */
const GZIP_ABOVE_BYTES = 1024;

export interface EmulatorRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface EmulatorAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** EWS operation or Graph route name, e.g. `GetItem`, `messages/delta`. */
  operation: string;
  status: number;
  user: string | null;
}

/** A programmed fault: applies to the next `times` requests of `operation` (any when omitted). */
export type Programmed<TFault> = TFault & { times?: number; operation?: string };

export interface TlsPair {
  cert: string;
  key: string;
}

/** Active introspection results are reused this long: a 1,000-message test makes 1,000 requests. */
const INTROSPECTION_CACHE_MS = 1000;

export abstract class MailEmulatorBase<TFault> {
  readonly store = new MailStore();
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Array<Programmed<TFault> & { times: number }> = [];
  private readonly introspected = new Map<string, { user: string; until: number }>();
  private server: Server | null = null;
  port = 0;

  constructor(protected readonly auth?: AuthCoordinates) {}

  async start(tls: TlsPair): Promise<this> {
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  // --- test API ---------------------------------------------------------------------------

  /** Delivers a raw message into a folder (path or well-known name) of a mailbox; answers its id. */
  addMessage(mailbox: string, raw: string | Buffer, options: { folder?: string; receivedAt?: Date; isRead?: boolean } = {}): string {
    const box = this.store.mailbox(mailbox);
    const folder = box.folderByPath(options.folder ?? 'inbox') ?? box.createFolder(options.folder ?? 'inbox');
    return box.add(folder.id, Buffer.isBuffer(raw) ? raw : Buffer.from(raw), options).id;
  }

  /** The messages of a folder, oldest first. */
  messages(mailbox: string, folder = 'inbox'): StoredMessage[] {
    const box = this.store.mailbox(mailbox);
    const found = box.folderByPath(folder);
    return found ? box.inFolder(found.id) : [];
  }

  createFolder(mailbox: string, path: string): string {
    return this.store.mailbox(mailbox).createFolder(path).id;
  }

  /** What was sent through the emulator (optionally from one mailbox), oldest first. */
  sent(mailbox?: string): SentMail[] {
    return this.store.sent.filter((mail) => !mailbox || mail.mailbox === mailbox.toLowerCase());
  }

  /** `delegate` may open `mailbox` (Exchange "full access"). */
  grantAccess(mailbox: string, delegate: string): void {
    this.store.grant(mailbox, delegate);
  }

  injectFault(fault: Programmed<TFault>): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests answered so far, of one operation when given. */
  count(operation?: string, user?: string): number {
    return this.requests.filter((r) => (!operation || r.operation === operation) && (!user || r.user === user.toLowerCase())).length;
  }

  clear(): void {
    this.store.clear();
    this.requests.length = 0;
    this.faults.length = 0;
  }

  // --- for the protocol subclasses -----------------------------------------------------------

  protected abstract handle(request: EmulatorRequest): Promise<EmulatorAnswer & { operation: string; user: string | null }>;

  /** The next programmed fault for this operation, used up by one. */
  protected takeFault(operation: string): Programmed<TFault> | undefined {
    const index = this.faults.findIndex((f) => !f.operation || f.operation === operation);
    if (index === -1) return undefined;
    const fault = this.faults[index];
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  /** The account a bearer token belongs to, or null when the authorization server says it is not active. */
  protected async bearerUser(token: string): Promise<string | null> {
    const cached = this.introspected.get(token);
    if (cached && cached.until > Date.now()) return cached.user;
    const result = await introspect(token, this.auth);
    const user = result.active ? String(result.username ?? result.sub ?? '') : '';
    if (!user) return null;
    const until = Math.min(Date.now() + INTROSPECTION_CACHE_MS, (result.exp ?? Infinity) * 1000);
    this.introspected.set(token, { user: user.toLowerCase(), until });
    return user.toLowerCase();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', `https://127.0.0.1:${this.port}`);
    let answer: EmulatorAnswer & { operation: string; user: string | null };
    try {
      answer = await this.handle({ method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks) });
    } catch (error) {
      answer = { status: 500, operation: 'crash', user: null, headers: { 'content-type': 'text/plain' }, body: `emulator error: ${(error as Error).stack}` };
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, operation: answer.operation, status: answer.status, user: answer.user });
    // Like Graph: a client that accepts gzip gets compressed answers (the MIME of $value too).
    const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
    if (body && body.length >= GZIP_ABOVE_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.writeHead(answer.status, { ...answer.headers, 'content-encoding': 'gzip' });
      res.end(gzipSync(body));
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(body);
  }
}
