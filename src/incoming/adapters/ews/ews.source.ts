import {
  BasePropertySet,
  ChangeType,
  ConflictResolutionMode,
  DeleteMode,
  EmailMessage,
  FolderId,
  Item,
  ItemId,
  ItemSchema,
  ItemView,
  MessageDisposition,
  PropertySet,
  ServiceResponse,
  ServiceResponseCollection,
  ServiceResult,
  ServiceError,
  SortDirection,
  SyncFolderItemsScope,
} from 'ews-javascript-api';
import { ProtocolError } from '../../../core/errors';
import type { MailBytes } from '../../../core/spool/spooled-bytes';
import { downloadDeadlineMs } from '../../../core/net/deadline';
import type { AfterFetchAction, FetchedMail, ListNewResult, MailRef, MailSource, MailSourceOptions, SourceCursor } from '../../mail-source.port';
import { EwsResponseError, ewsCodeOf, mapEwsError } from './ews-error.mapper';
import { EwsSession } from './ews-session';

/** SyncFolderItems MaxChangesReturned is 1–512 (EWS schema). */
const SYNC_MAX_CHANGES = 512;
/** Rounds of changes without a new item (read flags, deletions) skipped per listNew before giving up for now. */
const SYNC_ROUNDS_WITHOUT_NEWS = 20;
/** GetItem with MimeContent: items per request and bytes per request (bounded memory). */
const FETCH_BATCH_ITEMS = 10;
const FETCH_BATCH_BYTES = 8 * 1024 * 1024;
/** Item ids per UpdateItem / MoveItem / DeleteItem request. */
const ACK_BATCH = 100;

const LISTING_SHAPE = () => new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Size, ItemSchema.DateTimeReceived]);
const MIME_SHAPE = () => new PropertySet(BasePropertySet.IdOnly, [ItemSchema.MimeContent, ItemSchema.Size, ItemSchema.DateTimeReceived]);

/**
 * Exchange Web Services on ews-javascript-api. The cursor is the SyncFolderItems state
 * `{ syncState }` ("Synchronize items by using EWS"): it survives restarts and names exactly
 * what was already seen. A batch of new items is sorted oldest first; every item but the
 * last carries the state the batch started from, the last one the new state, so a run that
 * stops half way re-reads the batch and the ledger drops what it already committed.
 */
export class EwsSource implements MailSource {
  private session: EwsSession | null = null;
  private folderId: FolderId | null = null;

  constructor(private readonly options: MailSourceOptions) {}

  async connect(): Promise<void> {
    await this.close();
    const session = new EwsSession(this.options);
    this.session = session;
    // Resolving the folder is the first authenticated request: it proves URL, TLS and credentials.
    this.folderId = await session.resolveFolder(this.options.folder);
  }

  async listNew(cursor: SourceCursor | null, { limit }: { limit: number }): Promise<ListNewResult> {
    const { session, folderId } = await this.open();
    const max = Math.max(1, Math.min(SYNC_MAX_CHANGES, limit));
    let state = typeof cursor?.syncState === 'string' ? cursor.syncState : null;
    let cursorReset = false;
    for (let round = 0; ; round++) {
      const from = state;
      let changes;
      try {
        changes = await session.call('SyncFolderItems', () => session.service.SyncFolderItems(folderId, LISTING_SHAPE(), null as never, max, SyncFolderItemsScope.NormalItems, from as never), {
          folder: this.options.folder,
        });
      } catch (err) {
        // An expired or foreign sync state: start over; the ledger recognises what was taken.
        if (from === null || ewsCodeOf(err) !== 'ErrorInvalidSyncStateData') throw err;
        state = null;
        cursorReset = true;
        continue;
      }
      const next = changes.SyncState;
      const created = changes.GetEnumerator().filter((change) => change.ChangeType === ChangeType.Create && change.Item);
      if (created.length === 0 && changes.MoreChangesAvailable && round < SYNC_ROUNDS_WITHOUT_NEWS) {
        state = next;
        continue;
      }
      const refs = created.map((change) => this.toRef(change.Item, { syncState: from })).sort((a, b) => (a.receivedAt?.getTime() ?? 0) - (b.receivedAt?.getTime() ?? 0));
      if (refs.length) refs[refs.length - 1].cursorAfter = { syncState: next };
      return { messages: refs, cursorReset, cursor: { syncState: next } };
    }
  }

  async *fetch(refs: MailRef[]): AsyncIterable<FetchedMail> {
    const { session } = await this.open();
    for (const batch of batches(refs)) {
      const bytes = batch.reduce((sum, ref) => sum + ref.size, 0) * 1.4; // base64 inside SOAP
      const { commandMs, downloadMsPerMiB } = this.options.deadlines;
      try {
        const responses = await session.call('GetItem', () => session.service.BindToItems(batch.map((ref) => new ItemId(ref.serverId)), MIME_SHAPE()), {
          folder: this.options.folder,
          responseMs: downloadDeadlineMs(bytes, commandMs, downloadMsPerMiB),
          mimeSizes: batch.map((ref) => ref.size),
        });
        const items = this.successful(responses, 'GetItem');
        for (const [i, ref] of batch.entries()) {
          const item = items[i];
          // Deleted or moved by someone else since listing: nothing to import.
          if (!item) continue;
          yield { ref, raw: mimeOf(session, item) };
        }
      } finally {
        // What this batch brought and nobody took (a failed answer, a run that stopped) goes back.
        session.releaseMimes();
      }
    }
  }

  async acknowledge(refs: MailRef[], action: AfterFetchAction, options: { moveTo?: string | null } = {}): Promise<void> {
    if (refs.length === 0 || action === 'keep') return;
    const { session } = await this.open();
    const moveTo = action === 'move' ? await this.moveTarget(options.moveTo) : null;
    for (let i = 0; i < refs.length; i += ACK_BATCH) {
      const ids = refs.slice(i, i + ACK_BATCH).map((ref) => new ItemId(ref.serverId));
      switch (action) {
        case 'markRead':
        case 'markSeen': {
          // UpdateItem needs item objects: bind the ids (IdOnly), set IsRead, update in one call.
          const bound = this.successful(await session.call('GetItem', () => session.service.BindToItems(ids, new PropertySet(BasePropertySet.IdOnly))), 'GetItem');
          const messages = bound.filter((item): item is EmailMessage => item instanceof EmailMessage);
          for (const message of messages) message.IsRead = true;
          if (messages.length === 0) break;
          const updated = await session.call('UpdateItem', () =>
            session.service.UpdateItems(messages, null as never, ConflictResolutionMode.AlwaysOverwrite, MessageDisposition.SaveOnly, null as never),
          );
          this.successful(updated, 'UpdateItem');
          break;
        }
        case 'move':
          this.successful(await session.call('MoveItem', () => session.service.MoveItems(ids, moveTo!), { folder: options.moveTo ?? undefined }), 'MoveItem');
          break;
        case 'delete':
          // Decision: to Deleted Items, like Graph's DELETE, so a mistake can be undone for a while.
          this.successful(await session.call('DeleteItem', () => session.service.DeleteItems(ids, DeleteMode.MoveToDeletedItems, null as never, null as never)), 'DeleteItem');
          break;
      }
    }
  }

  async sampleOldest(): Promise<FetchedMail | null> {
    const { session, folderId } = await this.open();
    const view = new ItemView(1);
    view.PropertySet = LISTING_SHAPE();
    view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Ascending);
    const found = await session.call('FindItem', () => session.service.FindItems(folderId, view), { folder: this.options.folder });
    const oldest = found.Items[0];
    if (!oldest) return null;
    // GetItem never changes IsRead; only UpdateItem does.
    for await (const mail of this.fetch([this.toRef(oldest, {})])) return mail;
    return null;
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = null;
    this.folderId = null;
  }

  private async open(): Promise<{ session: EwsSession; folderId: FolderId }> {
    if (!this.session || !this.folderId) await this.connect();
    return { session: this.session!, folderId: this.folderId! };
  }

  private async moveTarget(moveTo: string | null | undefined): Promise<FolderId> {
    const path = moveTo?.trim();
    if (!path) throw new ProtocolError('afterFetch "move" needs a moveTo folder');
    // Decision (as for IMAP): a missing target folder is an error the admin sees, never created silently.
    return this.session!.resolveFolder(path);
  }

  /**
   * The items of a batch answer, in request order, null where the item is gone
   * (ErrorItemNotFound: deleted or moved by someone else). Any other error fails the batch.
   */
  private successful<T extends ServiceResponse>(responses: ServiceResponseCollection<T>, operation: string): Array<Item | null> {
    return responses.GetEnumerator().map((response) => {
      if (response.Result !== ServiceResult.Error) return (response as unknown as { Item?: Item }).Item ?? null;
      const code = ServiceError[response.ErrorCode] ?? String(response.ErrorCode);
      if (code === 'ErrorItemNotFound') return null;
      throw mapEwsError(new EwsResponseError(code, response.ErrorMessage), { ...this.session!.ctx, operation, folder: this.options.folder });
    });
  }

  private toRef(item: Item, cursorAfter: SourceCursor): MailRef {
    const received = item.DateTimeReceived?.TotalMilliSeconds;
    return { serverId: item.Id.UniqueId, size: item.Size ?? 0, receivedAt: received ? new Date(received) : null, cursorAfter };
  }
}

function mimeOf(session: EwsSession, item: Item): MailBytes {
  const content = item.MimeContent?.Content;
  if (!content) throw new ProtocolError('the EWS server sent an item without MimeContent');
  return session.takeMime(content) ?? Buffer.from(content, 'base64');
}

/** GetItem batches: at most FETCH_BATCH_ITEMS ids and FETCH_BATCH_BYTES of mail each (one big mail alone). */
function batches(refs: MailRef[]): MailRef[][] {
  const result: MailRef[][] = [];
  let current: MailRef[] = [];
  let bytes = 0;
  for (const ref of refs) {
    if (current.length && (current.length >= FETCH_BATCH_ITEMS || bytes + ref.size > FETCH_BATCH_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(ref);
    bytes += ref.size;
  }
  if (current.length) result.push(current);
  return result;
}
