import { headerValue } from './mail';
import type { StoredFolder, StoredMailbox, StoredMessage } from './graph-emulator-mailstore';

/**
 * The Microsoft Graph mail routes the emulator answers, after the v1.0 reference ("message
 * resource type", "mailFolder resource type", "message: delta", "Get MIME content of a
 * message", "message: move", "Update message", "Delete message", "user: sendMail").
 * `mailbox` is already resolved from `/me` or `/users/{id}` and access-checked.
 */
export interface RouteAnswer {
  status: number;
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

const GRAPH_PAGE_DEFAULT = 10;
const GRAPH_PAGE_MAX = 1000;

export const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): RouteAnswer => ({
  status,
  headers,
  json: { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': cryptoId(), 'client-request-id': cryptoId() } } },
});

function cryptoId(): string {
  return globalThis.crypto.randomUUID();
}

/** `$select`, `$expand` of the single-value extended property PR_MESSAGE_SIZE, as used by the clients here. */
export interface Projection {
  select: string[] | null;
  size: boolean;
}

export function projection(query: URLSearchParams): Projection {
  const select = query.get('$select');
  return { select: select ? select.split(',').map((s) => s.trim()) : null, size: /singleValueExtendedProperties.*0x0E08/i.test(query.get('$expand') ?? '') };
}

export function messageJson(message: StoredMessage, shape: Projection): Record<string, unknown> {
  const full: Record<string, unknown> = {
    '@odata.etag': `W/"${message.changeKey}"`,
    id: message.id,
    receivedDateTime: message.receivedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    subject: headerValue(message.raw, 'Subject'),
    internetMessageId: headerValue(message.raw, 'Message-ID'),
    isRead: message.isRead,
    parentFolderId: message.folderId,
  };
  const out: Record<string, unknown> = shape.select ? { '@odata.etag': full['@odata.etag'], id: message.id } : full;
  for (const name of shape.select ?? []) if (name in full) out[name] = full[name];
  if (shape.size) out.singleValueExtendedProperties = [{ id: 'Integer 0xe08', value: String(message.raw.length) }];
  return out;
}

export function folderJson(mailbox: StoredMailbox, folder: StoredFolder): Record<string, unknown> {
  const messages = mailbox.inFolder(folder.id);
  return {
    id: folder.id,
    displayName: folder.name,
    parentFolderId: folder.parentId,
    childFolderCount: mailbox.children(folder.id).length,
    unreadItemCount: messages.filter((m) => !m.isRead).length,
    totalItemCount: messages.length,
    isHidden: false,
  };
}

/** A folder by id or well-known name (case-insensitive), `msgfolderroot` included. */
export function folderRef(mailbox: StoredMailbox, ref: string): StoredFolder | undefined {
  if (ref.toLowerCase() === 'msgfolderroot') return mailbox.root;
  return mailbox.folders.get(ref) ?? mailbox.wellKnown(ref);
}

/** `$filter=displayName eq 'X'` (the only filter on folders used here); null when absent. */
export function displayNameFilter(query: URLSearchParams): string | null | undefined {
  const filter = query.get('$filter');
  if (!filter) return null;
  const match = /^displayName eq '((?:[^']|'')*)'$/.exec(filter.trim());
  return match ? match[1].replace(/''/g, "'") : undefined;
}

/** `GET …/mailFolders/{id}/messages`: $orderby receivedDateTime asc|desc (default desc), $top, $skip, nextLink. */
export function listMessages(url: URL, mailbox: StoredMailbox, folder: StoredFolder): RouteAnswer {
  const query = url.searchParams;
  const order = (query.get('$orderby') ?? 'receivedDateTime desc').trim().toLowerCase();
  if (!/^receiveddatetime( asc| desc)?$/.test(order)) return graphError(400, 'ErrorInvalidProperty', `the emulator orders by receivedDateTime only, not ${order}`);
  let messages = mailbox.inFolder(folder.id);
  if (!order.endsWith('asc') && order !== 'receiveddatetime') messages = messages.reverse();
  const top = Math.min(GRAPH_PAGE_MAX, Number(query.get('$top') ?? GRAPH_PAGE_DEFAULT));
  const skip = Number(query.get('$skip') ?? 0);
  const page = messages.slice(skip, skip + top);
  const json: Record<string, unknown> = { '@odata.context': `${url.origin}/v1.0/$metadata#users('${mailbox.address}')/mailFolders('${folder.id}')/messages`, value: page.map((m) => messageJson(m, projection(query))) };
  if (skip + top < messages.length) {
    const next = new URL(url);
    next.searchParams.set('$skip', String(skip + top));
    json['@odata.nextLink'] = next.toString();
  }
  return { status: 200, json };
}

/**
 * Delta state, opaque to clients (base64url JSON): the folder, the log position the round
 * reports changes after (`since`) and up to (`until`), the change type, the projection, and
 * for a skiptoken the position below which the next page continues. `epoch` lets a test
 * expire every token (410 Gone, "SyncStateNotFound").
 */
interface DeltaState {
  f: string;
  since: number;
  until?: number;
  before?: number;
  ct: string | null;
  q: string;
  e: number;
}

const encode = (state: DeltaState) => Buffer.from(JSON.stringify(state)).toString('base64url');

function decode(token: string): DeltaState | null {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaState;
  } catch {
    return null;
  }
}

/**
 * `GET …/mailFolders/{id}/messages/delta`: a round lists the folder's messages (initial round)
 * or its changes since the deltaToken, newest first (Graph guarantees no order), at most
 * `Prefer: odata.maxpagesize` per page, with @odata.nextLink ($skiptoken) until the last page,
 * which carries @odata.deltaLink ($deltatoken). changeType=created limits later rounds to new
 * messages; without it updates and `@removed` entries are reported too.
 */
export function delta(url: URL, headers: Record<string, string>, mailbox: StoredMailbox, folder: StoredFolder, epoch: number): RouteAnswer {
  const query = url.searchParams;
  const skipToken = query.get('$skiptoken');
  const deltaToken = query.get('$deltatoken');
  let state: DeltaState;
  if (skipToken || deltaToken) {
    const decoded = decode((skipToken ?? deltaToken)!);
    if (!decoded || decoded.f !== folder.id) return graphError(400, 'ErrorInvalidUrlQuery', 'The state token is not valid for this folder.');
    if (decoded.e !== epoch) return graphError(410, 'SyncStateNotFound', 'The sync state generation is not found. Start a new sync.');
    state = decoded;
  } else {
    const q = new URLSearchParams();
    for (const name of ['$select', '$expand']) if (query.get(name)) q.set(name, query.get(name)!);
    state = { f: folder.id, since: 0, ct: query.get('changeType'), q: q.toString(), e: epoch };
  }
  const until = state.until ?? mailbox.seq;
  const shape = projection(new URLSearchParams(state.q));
  const maxPage = Math.min(GRAPH_PAGE_MAX, Number(/odata\.maxpagesize=(\d+)/.exec(headers.prefer ?? '')?.[1] ?? GRAPH_PAGE_DEFAULT));
  const entries = changesInRound(mailbox, folder, state, until).filter((entry) => state.before === undefined || entry.seq < state.before);
  const page = entries.slice(0, maxPage);
  const base = `${url.origin}${url.pathname}`;
  const json: Record<string, unknown> = {
    '@odata.context': `${url.origin}/v1.0/$metadata#Collection(message)`,
    value: page.map((entry) => entry.json(shape)),
  };
  if (entries.length > page.length) json['@odata.nextLink'] = `${base}?$skiptoken=${encode({ ...state, until, before: page[page.length - 1].seq })}`;
  else json['@odata.deltaLink'] = `${base}?$deltatoken=${encode({ f: state.f, since: until, ct: state.ct, q: state.q, e: state.e })}`;
  return { status: 200, json, headers: { 'preference-applied': `odata.maxpagesize=${maxPage}` } };
}

interface RoundEntry {
  seq: number;
  json(shape: Projection): Record<string, unknown>;
}

/** The round's entries, newest first, each keyed by a log position so pages never shift when messages move. */
function changesInRound(mailbox: StoredMailbox, folder: StoredFolder, state: DeltaState, until: number): RoundEntry[] {
  // The initial round reports every message; later rounds only the change types asked for.
  const incremental = state.since > 0;
  const wantCreated = !incremental || state.ct === null || state.ct === 'created';
  const wantUpdated = incremental && (state.ct === null || state.ct === 'updated');
  const wantRemoved = incremental && (state.ct === null || state.ct === 'deleted');
  const entries: RoundEntry[] = [];
  for (const message of mailbox.inFolder(folder.id)) {
    if (wantCreated && message.enteredSeq > state.since && message.enteredSeq <= until) entries.push({ seq: message.enteredSeq, json: (shape) => messageJson(message, shape) });
  }
  for (const change of incremental ? mailbox.changes : []) {
    if (change.seq <= state.since || change.seq > until || change.folderId !== folder.id) continue;
    const message = mailbox.messages.get(change.messageId);
    const seenBefore = message ? message.enteredSeq <= state.since : true;
    if (wantUpdated && change.kind === 'readFlag' && message?.folderId === folder.id && seenBefore) entries.push({ seq: change.seq, json: (shape) => messageJson(message, shape) });
    if (wantRemoved && change.kind === 'removed' && seenBefore) entries.push({ seq: change.seq, json: () => ({ id: change.messageId, '@removed': { reason: 'deleted' } }) });
  }
  return entries.sort((a, b) => b.seq - a.seq);
}
