import { ResponseType } from '@microsoft/microsoft-graph-client';
import { ProtocolError } from '../../../core/errors';
import { downloadDeadlineMs } from '../../../core/net/deadline';
import type { AfterFetchAction, FetchedMail, ListNewResult, MailRef, MailSource, MailSourceOptions, SourceCursor } from '../../mail-source.port';
import { MimeDownload } from './graph-http.middleware';
import { graphFailureOf } from './graph-error.mapper';
import { GraphSession, wellKnownGraphFolder } from './graph-session';

/**
 * Requests in flight per mailbox: Outlook's limit is 4 concurrent requests per app and
 * mailbox ("Microsoft Graph service-specific throttling limits"); one is left for the outbox.
 */
const CONCURRENT_REQUESTS = 3;
/** Graph pages hold at most 1,000 messages, whatever Prefer: odata.maxpagesize asks for. */
const MAX_PAGE = 1000;
/** Empty pages (only @removed entries) followed per listNew before answering what we have. */
const MAX_PAGES_PER_LISTING = 50;
/**
 * PR_MESSAGE_SIZE (0x0E08) as a single-value extended property: Graph's message resource has
 * no size, and the ledger and the download deadline want one.
 */
const SIZE_PROPERTY = 'Integer 0x0E08';
const LISTING_QUERY =
  `$select=id,receivedDateTime&$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`)}`;

interface GraphMessage {
  id: string;
  receivedDateTime?: string;
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
  '@removed'?: unknown;
}

interface DeltaPage {
  value?: GraphMessage[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/**
 * Microsoft Graph mail. The cursor is the folder's delta query ("Get incremental changes to
 * messages in a folder"): `{ deltaLink }` once a round is complete, `{ nextLink }` inside a
 * round, so a stopped run resumes on the page where it stopped; with the mailbox and folder
 * id it was made for. `changeType=created` keeps
 * read-flag changes and deletions (our own acknowledgements) out of the rounds.
 *
 * Delta cannot sort ascending (only receivedDateTime desc is supported), so each batch is
 * sorted oldest first here; every message but the last carries the link the batch started
 * from, the last one the next link. A run stopped half way re-reads the batch and the ledger
 * drops what it already committed.
 */
export class GraphSource implements MailSource {
  private session: GraphSession | null = null;
  private folderId: string | null = null;

  constructor(private readonly options: MailSourceOptions) {}

  async connect(): Promise<void> {
    await this.close();
    this.session = new GraphSession(this.options);
    this.folderId = await this.session.resolveFolder(this.options.folder);
  }

  async listNew(cursor: SourceCursor | null, { limit }: { limit: number }): Promise<ListNewResult> {
    const { session, folderId } = await this.open();
    const stored = typeof cursor?.nextLink === 'string' ? cursor.nextLink : typeof cursor?.deltaLink === 'string' ? cursor.deltaLink : null;
    // A link for another base URL (connectUrl changed: never send the token there), another
    // mailbox (username changed) or another folder: start a new round; the ledger knows what was taken.
    const foreign = cursor?.mailbox !== session.ctx.mailbox || cursor?.folderId !== folderId;
    let cursorReset = stored !== null && (!session.owns(stored) || foreign);
    let start: SourceCursor | null = cursorReset ? null : (cursor as SourceCursor | null);
    let link = cursorReset ? null : stored;
    const refs: MailRef[] = [];
    let next: SourceCursor = {};
    for (let page = 0; page < MAX_PAGES_PER_LISTING; page++) {
      const want = Math.max(1, Math.min(MAX_PAGE, limit - refs.length));
      let answer: DeltaPage;
      try {
        const request = link ? session.link(link) : session.api(`/mailFolders/${encodeURIComponent(folderId)}/messages/delta?changeType=created&${LISTING_QUERY}`);
        answer = await session.call('GET messages/delta', 'Mail.ReadWrite', () => request.header('Prefer', `odata.maxpagesize=${want}`).get(), { folder: this.options.folder });
      } catch (err) {
        // 410 Gone: the delta token expired (or the mailbox moved); Graph says to start a full round again.
        if (!link || graphFailureOf((err as Error).cause)?.status !== 410) throw err;
        link = null;
        start = null;
        cursorReset = true;
        refs.length = 0;
        continue;
      }
      refs.push(...(answer.value ?? []).filter((m) => !m['@removed'] && m.id).map((m) => this.toRef(m, start ?? {})));
      const nextLink = answer['@odata.nextLink'];
      const deltaLink = answer['@odata.deltaLink'];
      if (!nextLink && !deltaLink) throw new ProtocolError(`${session.ctx.host} answered a delta query without a nextLink or deltaLink`);
      const identity = { mailbox: session.ctx.mailbox, folderId };
      next = nextLink ? { nextLink, deltaLink: null, ...identity } : { deltaLink: deltaLink!, nextLink: null, ...identity };
      link = nextLink ?? deltaLink!;
      if (deltaLink || refs.length >= limit) break;
    }
    refs.sort((a, b) => (a.receivedAt?.getTime() ?? 0) - (b.receivedAt?.getTime() ?? 0));
    if (refs.length) refs[refs.length - 1].cursorAfter = next;
    return { messages: refs, cursorReset, cursor: next };
  }

  async *fetch(refs: MailRef[]): AsyncIterable<FetchedMail> {
    const { session } = await this.open();
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    // GET /messages/{id}/$value: the MIME as received; reading never changes isRead. A few
    // downloads run ahead of the consumer, one round trip per message being Graph's only way.
    // The MIME arrives in a buffer of its own, or a spool file when large, not through the SDK.
    const download = async (ref: MailRef): Promise<FetchedMail | null> => {
      const mime = new MimeDownload(ref.size, this.options.spoolAboveBytes);
      const request = session.api(`/messages/${encodeURIComponent(ref.serverId)}/$value`, downloadDeadlineMs(ref.size, commandMs, downloadMsPerMiB), mime);
      const body = await session.callUnlessGone<ArrayBuffer>('GET messages/$value', 'Mail.ReadWrite', () => request.responseType(ResponseType.ARRAYBUFFER).get());
      if (!body) return null;
      return { ref, raw: mime.bytes ?? Buffer.from(body) };
    };
    for await (const mail of inOrder(refs, CONCURRENT_REQUESTS, download)) if (mail) yield mail;
  }

  async acknowledge(refs: MailRef[], action: AfterFetchAction, options: { moveTo?: string | null } = {}): Promise<void> {
    if (refs.length === 0 || action === 'keep') return;
    const { session } = await this.open();
    let destinationId: string | null = null;
    if (action === 'move') {
      const path = options.moveTo?.trim();
      if (!path) throw new ProtocolError('afterFetch "move" needs a moveTo folder');
      // A well-known name works as destinationId; a path is resolved (and must exist: never created silently).
      destinationId = wellKnownGraphFolder(path) ?? (await session.resolveFolder(path));
    }
    const acknowledgeOne = async (ref: MailRef): Promise<void> => {
      const path = `/messages/${encodeURIComponent(ref.serverId)}`;
      switch (action) {
        case 'markRead':
        case 'markSeen':
          await session.callUnlessGone('PATCH messages', 'Mail.ReadWrite', () => session.api(path).patch({ isRead: true }));
          break;
        case 'move':
          await session.callUnlessGone('POST messages/move', 'Mail.ReadWrite', () => session.api(`${path}/move`).post({ destinationId }));
          break;
        case 'delete':
          // DELETE moves the message to Deleted Items (permanentDelete would not); recoverable by the admin.
          await session.callUnlessGone('DELETE messages', 'Mail.ReadWrite', () => session.api(path).delete());
          break;
      }
    };
    for await (const _done of inOrder(refs, CONCURRENT_REQUESTS, acknowledgeOne)) void _done;
  }

  async sampleOldest(): Promise<FetchedMail | null> {
    const { session, folderId } = await this.open();
    const query = `$orderby=receivedDateTime%20asc&$top=1&${LISTING_QUERY}`;
    const page = await session.call('GET messages', 'Mail.ReadWrite', () => session.api(`/mailFolders/${encodeURIComponent(folderId)}/messages?${query}`).get(), {
      folder: this.options.folder,
    });
    const oldest = (page as DeltaPage).value?.[0];
    if (!oldest) return null;
    for await (const mail of this.fetch([this.toRef(oldest, {})])) return mail;
    return null;
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = null;
    this.folderId = null;
  }

  private async open(): Promise<{ session: GraphSession; folderId: string }> {
    if (!this.session || !this.folderId) await this.connect();
    return { session: this.session!, folderId: this.folderId! };
  }

  private toRef(message: GraphMessage, cursorAfter: SourceCursor): MailRef {
    const size = message.singleValueExtendedProperties?.find((p) => p.id.toLowerCase() === 'integer 0xe08' || p.id.toLowerCase() === SIZE_PROPERTY.toLowerCase());
    const received = message.receivedDateTime ? new Date(message.receivedDateTime) : null;
    return {
      serverId: message.id,
      size: size ? Number(size.value) || 0 : 0,
      receivedAt: received && !Number.isNaN(received.getTime()) ? received : null,
      cursorAfter,
    };
  }
}

/**
 * `work` over `items` with up to `window` calls in flight, results in the order of `items`.
 * A failure surfaces when its turn comes; the calls still running then end on their own.
 */
async function* inOrder<T, R>(items: T[], window: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const running: Array<Promise<R>> = [];
  let next = 0;
  while (next < items.length || running.length) {
    while (next < items.length && running.length < window) {
      const call = work(items[next++]);
      call.catch(() => undefined); // observed below, in turn; never an unhandled rejection
      running.push(call);
    }
    yield await running.shift()!;
  }
}
