import { Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { ProtocolError } from '../../../core/errors';
import type { Credentials, Deadlines, ServerEndpoint, TranscriptSink } from '../../../core/net/connection-options';
import { graphFailureOf, mapGraphError, type GraphErrorContext } from './graph-error.mapper';
import { GraphHttpMiddleware, MimeDownload, ResponseDeadline } from './graph-http.middleware';

/** api.md: `graph` may give connectUrl to override the Graph base URL. */
export const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com';
export const GRAPH_VERSION = 'v1.0';

export interface GraphSessionOptions {
  connectUrl?: string | null;
  endpoint: ServerEndpoint;
  credentials: Credentials;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
}

/** Graph's well-known folder names ("mailFolder resource type"), matched without case or spaces. */
const WELL_KNOWN = new Set(['inbox', 'archive', 'deleteditems', 'drafts', 'junkemail', 'sentitems', 'outbox']);

export function wellKnownGraphFolder(name: string): string | undefined {
  const key = name.toLowerCase().replace(/\s+/g, '');
  return WELL_KNOWN.has(key) ? key : undefined;
}

/**
 * One Graph client (@microsoft/microsoft-graph-client) for one mailbox, shared by GraphSource
 * and GraphTransport, with every call's failures mapped to the MailError family.
 *
 * Decision: the mailbox is always addressed as `/users/{username}` (Graph accepts the
 * signed-in user's own UPN or address there too), so a shared mailbox needs nothing but its
 * address as username and a grant with Mail.ReadWrite.Shared / Mail.Send.Shared. Only when
 * no username is set does it fall back to `/me`.
 */
export class GraphSession {
  readonly client: Client;
  readonly mailboxPath: string;
  readonly origin: string;
  readonly ctx: Omit<GraphErrorContext, 'permission'>;
  private readonly http: GraphHttpMiddleware;
  /** Folder ids by path, for this session: a run moves every chunk to the same moveTo. */
  private readonly folders = new Map<string, string>();

  constructor(options: GraphSessionOptions) {
    if (options.credentials.kind !== 'oauth2') throw new ProtocolError('Microsoft Graph needs OAuth2 (authType "oauth2" with an outlook app of baseScope "graph")');
    const base = graphBaseUrl(options.connectUrl);
    const username = options.credentials.username?.trim();
    this.mailboxPath = username ? `/users/${encodeURIComponent(username)}` : '/me';
    this.origin = base.origin;
    this.ctx = {
      host: base.hostname,
      port: Number(base.port || 443),
      username,
      authKind: 'oauth2',
      connectMs: options.deadlines.connectMs,
      commandMs: options.deadlines.commandMs,
      mailbox: username || 'the signed-in user',
    };
    this.http = new GraphHttpMiddleware({
      credentials: options.credentials,
      caCertificate: options.endpoint.caCertificate,
      deadlines: options.deadlines,
      transcript: options.transcript,
      origin: base.origin,
    });
    this.client = Client.initWithMiddleware({ middleware: this.http, baseUrl: base.toString().replace(/\/+$/, ''), defaultVersion: GRAPH_VERSION });
  }

  /**
   * A request for a path under the mailbox, e.g. `/mailFolders/inbox`; `responseMs` widens
   * its deadline for big MIME bodies, `mime` streams a `$value` body (MimeDownload).
   */
  api(path: string, responseMs?: number, mime?: MimeDownload): GraphRequest {
    const request = this.client.api(`${this.mailboxPath}${path}`);
    const options = [...(responseMs === undefined ? [] : [new ResponseDeadline(responseMs)]), ...(mime ? [mime] : [])];
    return options.length ? request.middlewareOptions(options) : request;
  }

  /** A request for a link Graph gave us (nextLink, deltaLink), only if it points at our base URL. */
  link(url: string): GraphRequest {
    if (!this.owns(url)) throw new ProtocolError(`refusing to follow ${url}: it is not on ${this.origin}`);
    return this.client.api(url);
  }

  owns(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }

  /** Runs one Graph request; failures mapped to the MailError family. */
  async call<T>(operation: string, permission: GraphErrorContext['permission'], run: () => Promise<T>, extra: { folder?: string } = {}): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw mapGraphError(err, { ...this.ctx, operation, permission, folder: extra.folder });
    }
  }

  /** As call, but null for a 404: a message deleted or moved by someone else since it was listed. */
  async callUnlessGone<T>(operation: string, permission: GraphErrorContext['permission'], run: () => Promise<T>): Promise<T | null> {
    try {
      return await this.call(operation, permission, run);
    } catch (err) {
      if (graphFailureOf((err as Error).cause)?.status === 404) return null;
      throw err;
    }
  }

  /**
   * A folder id by path, "/"-separated from the top of the mailbox ("Inbox", "Inbox/Support");
   * the first segment may be a well-known name. The first request also proves URL, TLS and token.
   */
  async resolveFolder(path: string): Promise<string> {
    const known = this.folders.get(path);
    if (known) return known;
    const id = await this.findFolder(path);
    this.folders.set(path, id);
    return id;
  }

  private async findFolder(path: string): Promise<string> {
    const segments = path.split('/').map((s) => s.trim()).filter(Boolean);
    if (segments.length === 0) throw new ProtocolError('no folder given');
    const first = wellKnownGraphFolder(segments[0]);
    let parentId: string | null = null;
    if (first) {
      const folder = await this.call('GET mailFolders', 'Mail.ReadWrite', () => this.api(`/mailFolders/${first}?$select=id,displayName`).get(), { folder: path });
      parentId = String(folder.id);
    }
    for (const name of first ? segments.slice(1) : segments) {
      const filter = `$filter=${encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`)}&$select=id,displayName`;
      const under = parentId ? `/mailFolders/${encodeURIComponent(parentId)}/childFolders` : '/mailFolders';
      const found = await this.call('GET mailFolders', 'Mail.ReadWrite', () => this.api(`${under}?${filter}`).get(), { folder: path });
      const match = (found?.value as Array<{ id: string }> | undefined)?.[0];
      if (!match) throw new ProtocolError(`folder "${path}" does not exist in ${this.ctx.mailbox}`);
      parentId = match.id;
    }
    return parentId!;
  }

  close(): void {
    this.http.close();
  }
}

export function graphBaseUrl(connectUrl: string | null | undefined): URL {
  const text = connectUrl?.trim() || DEFAULT_GRAPH_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProtocolError(`connectUrl ${text} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ProtocolError(`connectUrl ${text} must be https://; deskmail sends tokens over TLS only`);
  // An admin may paste the versioned URL; the client adds /v1.0 itself.
  url.pathname = url.pathname.replace(/\/(v1\.0|beta)\/?$/, '/');
  return url;
}
