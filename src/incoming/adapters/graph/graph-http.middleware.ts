import { GraphClientError, type Context, type Middleware, type MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import { ProtocolError } from '../../../core/errors';
import type { Credentials, Deadlines, TranscriptSink } from '../../../core/net/connection-options';
import type { MailBytes } from '../../../core/spool/spooled-bytes';
import { HttpsClient, retryAfterMs, sendWithPolicy, type HttpsResponse, type Verdict } from '../ews/https-exchange';
import { RawMailBuffer } from '../raw-mail-buffer';

export interface GraphHttpOptions {
  credentials: Credentials;
  caCertificate?: string | null;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
  /** The only origin a token is ever sent to (connectUrl or https://graph.microsoft.com). */
  origin: string;
}

/**
 * The Graph client's whole middleware chain (Client.initWithMiddleware), in place of its
 * default AuthenticationHandler → RetryHandler → RedirectHandler → HTTPMessageHandler: the
 * default transport is the global fetch, which cannot trust a per-mailbox CA and has no
 * deadline, and its RetryHandler waits up to 180 s per Retry-After whatever the step's
 * deadline. This one sends over node:https (https-exchange.ts) with:
 * - Authorization: Bearer from our credentials; on 401 ONE forced refresh and a retry;
 * - 429 / 503 / 504 honoured: wait Retry-After (or back off) and retry, up to 3 times, while
 *   the wait fits the command deadline ("Microsoft Graph throttling guidance");
 * - no redirects followed (a token must not travel to another host);
 * - a deadline on every request; the transcript without the Authorization header.
 * Failures without an answer reach the adapter as GraphClientError.customError.
 */
export class GraphHttpMiddleware implements Middleware {
  private readonly client: HttpsClient;

  constructor(private readonly options: GraphHttpOptions) {
    this.client = new HttpsClient({ caCertificate: options.caCertificate, connectMs: options.deadlines.connectMs, commandMs: options.deadlines.commandMs });
  }

  async execute(context: Context): Promise<void> {
    const url = new URL(typeof context.request === 'string' ? context.request : context.request.url);
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const what = `${method} ${routeName(url)}`;
    try {
      if (url.origin !== this.options.origin) throw new ProtocolError(`deskmail sends Graph requests only to ${this.options.origin}, not ${url.origin}`);
      const headers = headerRecord(context.options?.headers);
      const body = bodyOf(context.options?.body);
      const deadline = context.middlewareControl?.getMiddlewareOptions(ResponseDeadline) as ResponseDeadline | undefined;
      const responseMs = deadline?.responseMs ?? this.options.deadlines.commandMs;
      const mime = context.middlewareControl?.getMiddlewareOptions(MimeDownload) as MimeDownload | undefined;
      const bodySink = mime ? (status: number) => (status === 200 ? new RawMailBuffer(mime.expectedBytes, mime.spoolAboveBytes) : null) : undefined;
      const response = await sendWithPolicy(
        (authorization) => {
          this.options.transcript?.('client', `${method} ${url.pathname}${url.search}${body ? ` (${body.length} bytes)` : ''}`);
          const sent: Record<string, string> = { ...headers, 'user-agent': 'deskmail', 'accept-encoding': 'gzip' };
          if (authorization) sent.authorization = authorization;
          if (body) sent['content-length'] = String(body.length);
          return this.client.send({ method, url, headers: sent, body, what, responseMs, bodySink }).then((answer) => {
            const length = answer.raw?.length ?? answer.body.length;
            this.options.transcript?.('server', `${answer.status} ${answer.statusText} (${length} bytes)${answer.status >= 400 ? ` ${answer.body.toString('utf8').slice(0, 500)}` : ''}`);
            return answer;
          });
        },
        { credentials: this.options.credentials, budgetMs: responseMs, classify: classifyGraphAnswer },
      );
      // The MIME went to its own buffer (or spool file); the SDK sees an empty body.
      if (mime && response.raw) mime.bytes = response.raw;
      context.response = toFetchResponse(response);
    } catch (err) {
      throw Object.assign(new GraphClientError((err as Error)?.message ?? String(err)), { customError: err });
    }
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A wider response deadline for one request that carries a big MIME body ($value, sendMail),
 * attached with GraphRequest.middlewareOptions so concurrent requests never share it.
 */
export class ResponseDeadline implements MiddlewareOptions {
  constructor(readonly responseMs: number) {}
}

/**
 * A `$value` download whose MIME should not pass through the Graph client as one
 * ArrayBuffer (held there and copied on the way, several times a large mail's size): the
 * middleware streams a 200's body into a RawMailBuffer, in a spool file above
 * `spoolAboveBytes`, and leaves it in `bytes` for the caller, who releases it.
 */
export class MimeDownload implements MiddlewareOptions {
  bytes: MailBytes | null = null;

  constructor(
    readonly expectedBytes: number,
    readonly spoolAboveBytes = Number.POSITIVE_INFINITY,
  ) {}
}

/** 401: refresh once; 429/503/504: wait as told (https-exchange.ts sendWithPolicy). */
export function classifyGraphAnswer(response: HttpsResponse): Verdict {
  if (response.status === 401) return { kind: 'unauthorized' };
  if (response.status === 429 || response.status === 503 || response.status === 504) {
    return { kind: 'throttled', retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  }
  return { kind: 'done' };
}

/** `/v1.0/users/x/mailFolders/AAMk…/messages/delta` → `mailFolders/…/messages/delta`, for messages and logs. */
export function routeName(url: URL): string {
  const path = url.pathname.replace(/^\/(v1\.0|beta)\//, '/').replace(/^\/(me|users\/[^/]+)\//, '');
  return path.replace(/[A-Za-z0-9_=-]{40,}/g, '…');
}

function headerRecord(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  const entries: Iterable<[string, string]> = typeof (headers as Headers).forEach === 'function' && !(headers instanceof Array)
    ? [...(headers as Headers).entries()]
    : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) record[name.toLowerCase()] = String(value);
  return record;
}

function bodyOf(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new ProtocolError('deskmail cannot send this kind of request body to Graph');
}

function toFetchResponse(response: HttpsResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== 'content-encoding' && name !== 'content-length') headers.set(name, value);
  }
  // The Fetch standard forbids a body on these statuses.
  const empty = [101, 204, 205, 304].includes(response.status);
  return new Response(empty ? null : response.body, { status: response.status, statusText: response.statusText, headers });
}
