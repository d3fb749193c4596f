import type { IXHRApi, IXHROptions } from 'ews-javascript-api';
import { ProtocolError } from '../../../core/errors';
import type { Credentials, Deadlines, TranscriptSink } from '../../../core/net/connection-options';
import { releaseBytes, type MailBytes } from '../../../core/spool/spooled-bytes';
import { parseSoapFault, soapOperation, type SoapFault } from './ews-fault';
import { MimeContentSink } from './mime-content-sink';
import { HttpsClient, retryAfterMs, sendWithPolicy, type HttpsResponse, type Verdict } from './https-exchange';

/** A non-200 answer (after refresh and throttling retries), kept for the error mapper. */
export class EwsHttpFailure extends Error {
  constructor(
    readonly response: HttpsResponse,
    readonly fault: SoapFault | null,
  ) {
    super(fault ? `${fault.code}: ${fault.message}` : `HTTP ${response.status} ${response.statusText}`);
  }
}

export interface EwsHttpOptions {
  url: URL;
  credentials: Credentials;
  caCertificate?: string | null;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
  /** Exchange Online routes a request by this header; recommended whenever another mailbox is opened. */
  anchorMailbox?: string;
  /** A mail larger than this is decoded from a GetItem answer into a spool file. */
  spoolAboveBytes?: number;
}

/** The library's XMLHttpRequest (a DOM type this Node project does not load). */
type XhrLike = Awaited<ReturnType<IXHRApi['xhr']>>;

const TRANSCRIPT_MAX_CHARS = 2000;
const FAILURE_TAG = 'deskmail-ews-failure#';
const MIME_TOKEN = 'deskmail-ews-mime#';

/**
 * ews-javascript-api's HTTP layer (ExchangeService.XHRApi), replacing its default
 * @ewsjs/xhr client, which cannot trust a per-mailbox CA and has no deadlines (the library's
 * `Timeout` is a documented TODO). This one adds our credentials (the library's own
 * OAuthCredentials insists on JWT-shaped tokens), the 401-refresh-once and throttling retries,
 * the debug transcript, and a deadline on every request.
 *
 * Only 200 answers reach the library. Anything else is REJECTED with a small stand-in whose
 * message names the real failure, kept here for the adapter's error mapper: the library
 * throws on a non-SOAP 500 body inside a promise callback (an unhandled rejection and a
 * request that never settles), and its SoapFaultDetails keep neither status nor headers.
 *
 * A GetItem answer has its MimeContent decoded as it arrives (MimeContentSink): the library
 * sees a token instead of the base64, and the adapter takes the mail by it (`takeMime`).
 */
export class EwsXhr implements IXHRApi {
  readonly apiName = 'deskmail-https';
  /** Response deadline of the next request when it has to carry big MIME bodies (GetItem, CreateItem). */
  responseMs: number | null = null;
  /** The sizes of the mails the next GetItem asks for, in order, when the listing gave them. */
  mimeSizes: readonly number[] = [];
  private readonly client: HttpsClient;
  private readonly failures = new Map<string, unknown>();
  /** Mails decoded from GetItem answers, by the token the library saw in their place. */
  private readonly mimes = new Map<string, MailBytes>();
  private counter = 0;

  constructor(private readonly options: EwsHttpOptions) {
    this.client = new HttpsClient({ caCertificate: options.caCertificate, connectMs: options.deadlines.connectMs, commandMs: options.deadlines.commandMs });
  }

  async xhr(request: IXHROptions): Promise<XhrLike> {
    const body = typeof request.data === 'string' ? request.data : String(request.data ?? '');
    const operation = soapOperation(body);
    const { url, credentials, deadlines, anchorMailbox } = this.options;
    const responseMs = this.responseMs ?? deadlines.commandMs;
    let mimeSink: MimeContentSink | null = null;
    const bodySink =
      operation === 'GetItem'
        ? (status: number) => (status === 200 ? (mimeSink = new MimeContentSink(`${MIME_TOKEN}${++this.counter}.`, this.options.spoolAboveBytes ?? Number.POSITIVE_INFINITY, this.mimeSizes)) : null)
        : undefined;
    let response: HttpsResponse;
    try {
      response = await sendWithPolicy(
        (authorization) => {
          this.transcribe('client', `POST ${url.pathname} ${operation} ${redactMime(body)}`);
          const headers: Record<string, string> = {
            'content-type': 'text/xml; charset=utf-8',
            accept: 'text/xml',
            'accept-encoding': 'gzip',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'deskmail',
          };
          if (authorization) headers.authorization = authorization;
          if (anchorMailbox) headers['x-anchormailbox'] = anchorMailbox;
          return this.client.send({ method: 'POST', url, headers, body, what: operation, responseMs, bodySink }).then((answer) => {
            this.transcribe('server', `${answer.status} ${answer.statusText} ${redactMime(soapText(answer))}`);
            return answer;
          });
        },
        { credentials, budgetMs: responseMs, classify: classifyEwsAnswer },
      );
    } catch (err) {
      throw this.reject(err);
    }
    if (response.status !== 200) throw this.reject(new EwsHttpFailure(response, parseSoapFault(response.body.toString('utf8'))));
    const decoded = mimeSink as MimeContentSink | null;
    if (decoded) for (const [token, mail] of decoded.decodedMails()) this.mimes.set(token, mail);
    return asXhr(response);
  }

  takeMime(content: string): MailBytes | null {
    if (!content.startsWith(MIME_TOKEN)) return null;
    const mail = this.mimes.get(content);
    if (!mail) throw new ProtocolError('an EWS answer named a MIME body that did not arrive');
    this.mimes.delete(content);
    return mail;
  }

  releaseMimes(): void {
    for (const mail of this.mimes.values()) releaseBytes(mail);
    this.mimes.clear();
  }

  /** Streaming notifications only; deskmail never subscribes. */
  xhrStream(): Promise<XhrLike> {
    return Promise.reject(new ProtocolError('EWS streaming notifications are not used by deskmail'));
  }

  disconnect(): void {
    // Requests end on their own (deadlines); nothing is streamed.
  }

  /** The real cause behind an error ews-javascript-api built from one of our rejections (it keeps only the message). */
  takeFailure(err: unknown): unknown {
    const message = (err as { message?: unknown } | null)?.message;
    const tag = typeof message === 'string' ? new RegExp(`${FAILURE_TAG}\\d+`).exec(message)?.[0] : undefined;
    if (!tag || !this.failures.has(tag)) return err;
    const cause = this.failures.get(tag);
    this.failures.delete(tag);
    return cause;
  }

  close(): void {
    this.client.close();
    this.failures.clear();
    this.releaseMimes();
  }

  private reject(cause: unknown): object {
    const tag = `${FAILURE_TAG}${++this.counter}`;
    this.failures.set(tag, cause);
    // Shaped like an XHR so the library's ProcessWebException reads it without throwing.
    return { message: tag, status: 0, headers: {}, getResponseHeader: () => null, getAllResponseHeaders: () => '' };
  }

  private transcribe(direction: 'client' | 'server', line: string): void {
    this.options.transcript?.(direction, line.length > TRANSCRIPT_MAX_CHARS ? `${line.slice(0, TRANSCRIPT_MAX_CHARS)}… (${line.length} chars)` : line);
  }
}

/** 401: refresh once; 429/503 Retry-After and the ErrorServerBusy fault: wait and retry (https-exchange.ts). */
export function classifyEwsAnswer(response: HttpsResponse): Verdict {
  if (response.status === 401) return { kind: 'unauthorized' };
  if (response.status === 429 || response.status === 503) return { kind: 'throttled', retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  if (response.status === 500) {
    const fault = parseSoapFault(response.body.toString('utf8'));
    if (fault?.code === 'ErrorServerBusy') return { kind: 'throttled', retryAfterMs: fault.backOffMs };
  }
  return { kind: 'done' };
}

/** MIME bodies are mail, not protocol: the transcript shows their size only. */
function redactMime(xml: string): string {
  return xml.replace(/(<(?:\w+:)?MimeContent[^>]*>)([^<]*)(<\/)/g, (_m, open: string, content: string, close: string) => `${open}[${content.length} base64 chars]${close}`);
}

/** The SOAP of an answer: in `raw` when a MimeContentSink took it (with tokens for the MIME). */
function soapText(response: HttpsResponse): string {
  return (Buffer.isBuffer(response.raw) ? response.raw : response.body).toString('utf8');
}

function asXhr(response: HttpsResponse): XhrLike {
  const text = soapText(response);
  const stub = {
    status: response.status,
    statusText: response.statusText,
    responseText: text,
    response: text,
    headers: response.headers,
    getResponseHeader: (name: string) => response.headers[name.toLowerCase()] ?? null,
    getAllResponseHeaders: () =>
      Object.entries(response.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\r\n'),
  };
  return stub as unknown as XhrLike;
}
