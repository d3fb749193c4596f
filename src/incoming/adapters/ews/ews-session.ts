import {
  Exception,
  ExchangeService,
  ExchangeVersion,
  Folder,
  FolderId,
  FolderSchema,
  FolderTraversal,
  FolderView,
  Mailbox,
  OAuthCredentials,
  PropertySet,
  BasePropertySet,
  SearchFilter,
  ServiceError,
  ServiceResponseException,
  Uri,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { MailError, ProtocolError } from '../../../core/errors';
import type { Credentials, Deadlines, ServerEndpoint, TranscriptSink } from '../../../core/net/connection-options';
import { EwsResponseError, mapEwsError, type EwsErrorContext } from './ews-error.mapper';
import type { MailBytes } from '../../../core/spool/spooled-bytes';
import { EwsXhr } from './ews-http';

export interface EwsSessionOptions {
  connectUrl?: string | null;
  endpoint: ServerEndpoint;
  credentials: Credentials;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
  /** A mail larger than this arrives in a spool file (DESKMAIL_SPOOL_ABOVE_KB). */
  spoolAboveBytes?: number;
}

/**
 * Folder names EWS knows by DistinguishedFolderId (Exchange2010_SP2 schema), matched without
 * case and with or without spaces, so "INBOX" (the IMAP habit) and "Sent Items" work.
 */
const WELL_KNOWN: Record<string, WellKnownFolderName> = {
  inbox: WellKnownFolderName.Inbox,
  sentitems: WellKnownFolderName.SentItems,
  deleteditems: WellKnownFolderName.DeletedItems,
  drafts: WellKnownFolderName.Drafts,
  junkemail: WellKnownFolderName.JunkEmail,
  outbox: WellKnownFolderName.Outbox,
};

export function wellKnownFolder(name: string): WellKnownFolderName | undefined {
  return WELL_KNOWN[name.toLowerCase().replace(/\s+/g, '')];
}

/**
 * One ExchangeService (ews-javascript-api) bound to one mailbox, speaking through EwsXhr,
 * with every call's failures mapped to the MailError family. Shared by EwsSource and
 * EwsTransport.
 *
 * Decision: folders are addressed in the mailbox named by `username` (DistinguishedFolderId
 * + Mailbox) when it is an address, which opens a shared mailbox the signed-in account has
 * full access to and is the same thing for its own mailbox. A DOMAIN\user login (on-premises
 * Basic) opens the account's own mailbox.
 */
export class EwsSession {
  readonly service: ExchangeService;
  readonly mailbox: string | null;
  readonly ctx: EwsErrorContext;
  private readonly xhr: EwsXhr;
  /** Folder ids by path, for this session: a run moves every chunk to the same moveTo. */
  private readonly folders = new Map<string, FolderId>();

  constructor(options: EwsSessionOptions) {
    const url = ewsUrl(options.connectUrl);
    const username = options.credentials.kind === 'none' ? undefined : options.credentials.username;
    this.mailbox = username && username.includes('@') ? username : null;
    this.ctx = {
      host: url.hostname,
      port: Number(url.port || 443),
      username,
      authKind: options.credentials.kind,
      connectMs: options.deadlines.connectMs,
      commandMs: options.deadlines.commandMs,
      url: url.toString(),
      mailbox: this.mailbox ?? username ?? 'this mailbox',
    };
    this.xhr = new EwsXhr({
      url,
      credentials: options.credentials,
      caCertificate: options.endpoint.caCertificate,
      deadlines: options.deadlines,
      transcript: options.transcript,
      anchorMailbox: this.mailbox ?? undefined,
      spoolAboveBytes: options.spoolAboveBytes,
    });
    // Exchange2010_SP2: the oldest schema with everything used here; Exchange Online and
    // every supported on-premises Exchange accept it.
    this.service = new ExchangeService(ExchangeVersion.Exchange2010_SP2);
    this.service.Url = new Uri(url.toString());
    this.service.XHRApi = this.xhr;
    // The library refuses to send without credentials of its own; EwsXhr writes the real
    // Authorization header (and ignores this placeholder's).
    this.service.Credentials = new OAuthCredentials('set-by-deskmail-ews-http', true);
  }

  /**
   * Runs one EWS operation; `responseMs` widens the deadline for calls that carry MIME bodies,
   * `mimeSizes` are the sizes of the mails a GetItem asks for, in order.
   */
  async call<T>(operation: string, run: () => Promise<T>, extra: { folder?: string; responseMs?: number; mimeSizes?: readonly number[] } = {}): Promise<T> {
    this.xhr.responseMs = extra.responseMs ?? null;
    this.xhr.mimeSizes = extra.mimeSizes ?? [];
    try {
      return await run();
    } catch (err) {
      throw mapEwsError(normalise(this.xhr.takeFailure(err)), { ...this.ctx, operation, folder: extra.folder });
    } finally {
      this.xhr.responseMs = null;
      this.xhr.mimeSizes = [];
    }
  }

  /** A distinguished folder of this mailbox. */
  distinguished(name: WellKnownFolderName): FolderId {
    return this.mailbox ? new FolderId(name, new Mailbox(this.mailbox)) : new FolderId(name);
  }

  /**
   * A folder by path, "/"-separated from the top of the mailbox ("Inbox", "Inbox/Support",
   * "Archive/2026"); the first segment may be a well-known name. Answers the folder's real
   * id (GetFolder / FindFolder), which also proves the credentials work.
   */
  async resolveFolder(path: string): Promise<FolderId> {
    const known = this.folders.get(path);
    if (known) return known;
    const id = await this.findFolder(path);
    this.folders.set(path, id);
    return id;
  }

  private async findFolder(path: string): Promise<FolderId> {
    const segments = path.split('/').map((s) => s.trim()).filter(Boolean);
    if (segments.length === 0) throw new ProtocolError('no folder given');
    const first = wellKnownFolder(segments[0]);
    let parent = this.distinguished(first ?? WellKnownFolderName.MsgFolderRoot);
    const rest = first !== undefined ? segments.slice(1) : segments;
    if (rest.length === 0) {
      const folder = await this.call('GetFolder', () => Folder.Bind(this.service, parent, new PropertySet(BasePropertySet.IdOnly)), { folder: path });
      return folder.Id;
    }
    for (const name of rest) {
      const view = new FolderView(2);
      view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [FolderSchema.DisplayName]);
      view.Traversal = FolderTraversal.Shallow;
      const filter = new SearchFilter.IsEqualTo(FolderSchema.DisplayName, name);
      const found = await this.call('FindFolder', () => this.service.FindFolders(parent, filter, view), { folder: path });
      const match = found.Folders[0];
      if (!match) throw new ProtocolError(`folder "${path}" does not exist in ${this.ctx.mailbox} on ${this.ctx.host}`);
      parent = match.Id;
    }
    return parent;
  }

  /**
   * The mail a GetItem answer carried where its MimeContent holds `token` (EwsXhr decodes
   * MIME on the way in); the caller owns it from now on. Null when `content` is no token.
   */
  takeMime(content: string): MailBytes | null {
    return this.xhr.takeMime(content);
  }

  /** Mails of GetItem answers nobody took (an item skipped, a run that stopped): given back. */
  releaseMimes(): void {
    this.xhr.releaseMimes();
  }

  close(): void {
    this.xhr.close();
  }
}

/** The EWS URL from connectUrl (api.md: `ews` needs it; `https://…/EWS/Exchange.asmx`). */
export function ewsUrl(connectUrl: string | null | undefined): URL {
  if (!connectUrl?.trim()) throw new ProtocolError('ews needs connectUrl, e.g. https://outlook.office365.com/EWS/Exchange.asmx');
  let url: URL;
  try {
    url = new URL(connectUrl.trim());
  } catch {
    throw new ProtocolError(`connectUrl ${connectUrl} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ProtocolError(`connectUrl ${connectUrl} must be https://; deskmail sends credentials over TLS only`);
  return url;
}

/** ews-javascript-api's own errors → our records, so the mapper never needs the library. */
function normalise(err: unknown): unknown {
  if (err instanceof MailError) return err;
  if (err instanceof ServiceResponseException) {
    const code = ServiceError[err.ErrorCode] ?? String(err.ErrorCode);
    const details = err.Response?.ErrorDetails;
    const backOff = details?.containsKey('BackOffMilliseconds') ? Number(details.get('BackOffMilliseconds')) : NaN;
    return new EwsResponseError(code, err.Message, Number.isFinite(backOff) ? backOff : null);
  }
  if (err instanceof Exception) return new EwsResponseError('UnreadableAnswer', `an answer deskmail cannot read (${err.Message})`);
  return err;
}
