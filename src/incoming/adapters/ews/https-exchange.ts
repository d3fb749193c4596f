import { Agent, request } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { ProtocolError } from '../../../core/errors';
import { releaseBytes, type MailBytes } from '../../../core/spool/spooled-bytes';
import type { Credentials } from '../../../core/net/connection-options';
import { withDeadline } from '../../../core/net/deadline';
import { tlsOptionsFor } from '../tls-options';

/**
 * One HTTPS request/response with the rules every deskmail protocol follows: the system
 * roots plus the mailbox's `caCertificate`, host names verified, a deadline on every
 * request. Shared by the EWS and Graph adapters (both are HTTPS APIs of Microsoft); it
 * belongs in src/core/net once a third HTTP protocol needs it.
 *
 * node:https rather than the global fetch: Node's fetch cannot take a CA without an undici
 * dispatcher (not a dependency here), and its errors hide the socket error codes
 * (ECONNREFUSED, CERT_*) the error mappers turn into messages an admin can act on.
 */
export interface HttpsRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Names the step in timeout messages and the transcript, e.g. `FindItem`, `GET messages/delta`. */
  what: string;
  /** Response deadline on top of the connect deadline (defaults to the command deadline). */
  responseMs?: number;
  /**
   * Where a body goes as it arrives instead of into memory whole, for the statuses this
   * answers a sink for (a mail's MIME on 200, not an error's JSON): the answer then carries
   * `raw` and an empty `body`.
   */
  bodySink?: (status: number) => BodySink | null;
}

/** Takes a body piece by piece (incoming/adapters/raw-mail-buffer.ts is one). */
export interface BodySink {
  append(chunk: Uint8Array): void;
  toBytes(): MailBytes;
  discard(): void;
}

export interface HttpsResponse {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The body, decoded, when a `bodySink` took it; the receiver releases it (releaseBytes). */
  raw?: MailBytes;
}

export interface HttpsClientOptions {
  caCertificate?: string | null;
  connectMs: number;
  commandMs: number;
  /** Refuse answers bigger than this (a 25 MB mail is ~34 MB as base64 in SOAP). */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;

export class HttpsClient {
  // Keep-alive: a fetch run makes hundreds of requests to one host; one TLS handshake each would dominate.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  /**
   * Built once: passing `ca` (all system roots plus ours) with every request costs more than
   * the request (the agent serialises it into its pool key each time).
   */
  private readonly secureContext: SecureContext;

  constructor(private readonly options: HttpsClientOptions) {
    const { ca, minVersion } = tlsOptionsFor({ host: 'localhost', port: 0, caCertificate: options.caCertificate });
    this.secureContext = createSecureContext({ ca, minVersion });
  }

  send(req: HttpsRequest): Promise<HttpsResponse> {
    const { url } = req;
    if (url.protocol !== 'https:') {
      // api.md: no password or token ever crosses an unencrypted connection.
      return Promise.reject(new ProtocolError(`${url.origin} is not an https:// URL; deskmail sends credentials over TLS only`));
    }
    const port = Number(url.port || 443);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Host names are verified against `host` (or `servername`, set for names, never for IP literals).
    const { servername, minVersion } = tlsOptionsFor({ host, port });
    const tls = { secureContext: this.secureContext, servername, minVersion };
    const maxBody = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    let abort: () => void = () => undefined;
    const work = new Promise<HttpsResponse>((resolve, reject) => {
      const outgoing = request(
        { agent: this.agent, host, port, method: req.method, path: url.pathname + url.search, headers: req.headers, ...tls },
        (incoming) => readAnswer(incoming, req.bodySink?.(incoming.statusCode ?? 0) ?? null, maxBody, url.host).then(resolve, reject),
      );
      abort = () => outgoing.destroy();
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
    const ms = this.options.connectMs + (req.responseMs ?? this.options.commandMs);
    return withDeadline(work, ms, `no answer from ${host}:${port} to ${req.what}`, () => {
      abort();
      // A body that still completes after the deadline has nobody to take it.
      work.then((late) => releaseBytes(late.raw), () => undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The default sink: the body in memory, for answers that are small (SOAP, JSON, errors). */
class MemorySink implements BodySink {
  private readonly chunks: Buffer[] = [];

  append(chunk: Uint8Array): void {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  toBytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  discard(): void {
    this.chunks.length = 0;
  }
}

/**
 * The answer, its body read into `sink` as it arrives and decompressed on the way. A body
 * that stops half way (error, reset, deadline) is discarded from the sink. The answer
 * carries the body as `raw` when the sink was the caller's, as `body` when it was memory.
 */
function readAnswer(incoming: IncomingMessage, requested: BodySink | null, maxBody: number, host: string): Promise<HttpsResponse> {
  const sink = requested ?? new MemorySink();
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      sink.discard();
      incoming.destroy();
      reject(error);
    };
    incoming.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBody) fail(new ProtocolError(`${host} sent an answer larger than ${Math.round(maxBody / 1048576)} MiB`));
    });
    const encoding = incoming.headers['content-encoding'];
    const decoded: Readable = encoding === 'gzip' ? incoming.pipe(createGunzip()) : encoding === 'deflate' ? incoming.pipe(createInflate()) : incoming;
    decoded.on('data', (chunk: Buffer) => {
      if (settled) return;
      // A spool file that cannot be written (disk full) fails this download, not the process.
      try {
        sink.append(chunk);
      } catch (error) {
        fail(error as Error);
      }
    });
    decoded.on('error', fail);
    incoming.on('error', fail);
    incoming.on('close', () => {
      if (!incoming.complete) fail(new ProtocolError(`${host} closed the connection before the answer was complete`));
    });
    decoded.on('end', () => {
      if (settled) return;
      let bytes: MailBytes;
      try {
        bytes = sink.toBytes();
      } catch (error) {
        return fail(error as Error);
      }
      settled = true;
      const answer = { status: incoming.statusCode ?? 0, statusText: incoming.statusMessage ?? '', headers: headerRecord(incoming) };
      resolve(requested ? { ...answer, body: Buffer.alloc(0), raw: bytes } : { ...answer, body: bytes as Buffer });
    });
  });
}

function headerRecord(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The Authorization header for our credentials: Basic for passwords (on-premises EWS), Bearer for OAuth2. */
export async function authorizationFor(credentials: Credentials, forceRefresh: boolean): Promise<string | null> {
  switch (credentials.kind) {
    case 'password':
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
    case 'oauth2':
      return `Bearer ${await credentials.accessToken({ forceRefresh })}`;
    case 'none':
      return null;
  }
}

/** What the protocol's classifier says about one answer. */
export type Verdict = { kind: 'done' } | { kind: 'unauthorized' } | { kind: 'throttled'; retryAfterMs: number | null };

export interface PolicyOptions {
  credentials: Credentials;
  /** How long throttling waits may add up to, from the first attempt (the step's deadline). */
  budgetMs: number;
  classify: (response: HttpsResponse) => Verdict;
  /** Throttled answers retried at most this often (Graph's own SDKs use 3). */
  maxThrottleRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const MAX_THROTTLE_RETRIES = 3;

/**
 * Sends with credentials and the two retries both Microsoft APIs document:
 * - a refused OAuth2 token (401) earns ONE forced refresh and a second try
 *   (connection-options.ts: `forceRefresh` after the server refused the current one);
 * - a throttled answer (429/503 Retry-After, EWS ErrorServerBusy BackOffMilliseconds) is
 *   retried after the wait the server asked for, when that wait still fits the step's budget.
 * Whatever answer is left is returned for the protocol's error mapper.
 */
export async function sendWithPolicy(send: (authorization: string | null) => Promise<HttpsResponse>, policy: PolicyOptions): Promise<HttpsResponse> {
  const started = Date.now();
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRetries = policy.maxThrottleRetries ?? MAX_THROTTLE_RETRIES;
  let authorization = await authorizationFor(policy.credentials, false);
  let refreshed = false;
  let throttled = 0;
  for (;;) {
    const response = await send(authorization);
    const verdict = policy.classify(response);
    if (verdict.kind === 'done') return response;
    if (verdict.kind === 'unauthorized') {
      if (refreshed || policy.credentials.kind !== 'oauth2') return response;
      refreshed = true;
      authorization = await authorizationFor(policy.credentials, true);
      continue;
    }
    // No Retry-After: exponential backoff from 1 s, as Microsoft's throttling guidance suggests.
    const waitMs = verdict.retryAfterMs ?? 1000 * 2 ** throttled;
    if (throttled >= maxRetries || Date.now() - started + waitMs > policy.budgetMs) return response;
    throttled += 1;
    await sleep(waitMs);
  }
}

/**
 * RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date. Null when absent or unreadable;
 * callers then fall back to their own backoff.
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | null {
  if (!value?.trim()) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
