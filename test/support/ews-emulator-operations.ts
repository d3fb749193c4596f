import type { MailStore, StoredFolder, StoredMailbox, StoredMessage } from './graph-emulator-mailstore';
import {
  failure,
  folderXml,
  itemIdOnlyXml,
  itemXml,
  operationResponse,
  requestedProperties,
  success,
  textOf,
  type XmlNode,
} from './ews-emulator-xml';

/**
 * The EWS operations the emulator answers, one method each, after Microsoft's EWS operation
 * reference (Exchange2010_SP2): GetFolder, FindFolder, FindItem, GetItem, UpdateItem (IsRead),
 * MoveItem, DeleteItem, CreateItem (MimeContent; SaveOnly / SendOnly / SendAndSaveCopy),
 * SendItem, SyncFolderItems.
 */
type Resolved<T> = T | { code: string; text: string };
const isError = (value: unknown): value is { code: string; text: string } => typeof value === 'object' && value !== null && 'code' in value;

const ACCESS_DENIED = { code: 'ErrorAccessDenied', text: 'Access is denied. Check credentials and try again.' };
const ITEM_NOT_FOUND = { code: 'ErrorItemNotFound', text: 'The specified object was not found in the store., The process failed to get the correct properties.' };
const FOLDER_NOT_FOUND = { code: 'ErrorFolderNotFound', text: 'The specified folder could not be found in the store.' };

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export class EwsOperations {
  constructor(
    private readonly store: MailStore,
    private readonly user: string,
    /** A programmed per-response error (ResponseClass="Error") for every response of this request. */
    private readonly forcedError?: { code: string; text: string },
  ) {}

  run(operation: string, node: XmlNode): string | null {
    switch (operation) {
      case 'GetFolder':
        return this.respond(operation, this.folderRefs(node.FolderIds), (ref) => this.getFolder(ref, node.FolderShape));
      case 'FindFolder':
        return this.respond(operation, this.folderRefs(node.ParentFolderIds), (ref) => this.findFolder(ref, node));
      case 'FindItem':
        return this.respond(operation, this.folderRefs(node.ParentFolderIds), (ref) => this.findItem(ref, node));
      case 'GetItem':
        return this.respond(operation, list(node.ItemIds?.ItemId), (id) => this.withItem(id, (m) => `<m:Items>${itemXml(m, requestedProperties(node.ItemShape))}</m:Items>`));
      case 'UpdateItem':
        return this.respond(operation, list(node.ItemChanges?.ItemChange), (change) => this.updateItem(change));
      case 'MoveItem':
        return this.respond(operation, list(node.ItemIds?.ItemId), (id) => this.moveItem(id, node.ToFolderId));
      case 'DeleteItem':
        return this.respond(operation, list(node.ItemIds?.ItemId), (id) => this.deleteItem(id, String(node['@DeleteType'] ?? 'MoveToDeletedItems')));
      case 'CreateItem':
        return this.respond(operation, list(node.Items?.Message), (message) => this.createItem(message, node));
      case 'SendItem':
        return this.respond(operation, list(node.ItemIds?.ItemId), (id) => this.sendItem(id, node));
      case 'SyncFolderItems':
        return this.respond(operation, this.folderRefs(node.SyncFolderId), (ref) => this.syncFolderItems(ref, node));
      default:
        return null;
    }
  }

  private respond<T>(operation: string, inputs: T[], one: (input: T) => Resolved<string>): string {
    const messages = inputs.map((input) => {
      const result = this.forcedError ?? one(input);
      return isError(result) ? failure(operation, result.code, result.text) : success(operation, result);
    });
    return operationResponse(operation, messages);
  }

  // --- folders ----------------------------------------------------------------------------

  private folderRefs(container: XmlNode): XmlNode[] {
    return [...list(container?.FolderId).map((f: XmlNode) => ({ id: f['@Id'] })), ...list(container?.DistinguishedFolderId).map((f: XmlNode) => ({ distinguished: f['@Id'], mailbox: textOf(f.Mailbox?.EmailAddress) }))];
  }

  private folder(ref: XmlNode): Resolved<{ mailbox: StoredMailbox; folder: StoredFolder }> {
    if (ref.id) {
      const found = this.store.findFolder(String(ref.id));
      if (!found) return FOLDER_NOT_FOUND;
      return this.store.mayOpen(found.mailbox.address, this.user) ? found : ACCESS_DENIED;
    }
    const address = ref.mailbox || this.user;
    if (!this.store.mayOpen(address, this.user)) {
      return this.store.has(address) ? ACCESS_DENIED : { code: 'ErrorNonExistentMailbox', text: 'The SMTP address has no mailbox associated with it.' };
    }
    const mailbox = this.store.mailbox(address);
    const folder = ref.distinguished === 'msgfolderroot' ? mailbox.root : mailbox.wellKnown(String(ref.distinguished));
    return folder ? { mailbox, folder } : FOLDER_NOT_FOUND;
  }

  private getFolder(ref: XmlNode, shape: XmlNode): Resolved<string> {
    const found = this.folder(ref);
    if (isError(found)) return found;
    return `<m:Folders>${folderXml(found.mailbox, found.folder, requestedProperties(shape).base)}</m:Folders>`;
  }

  /** Shallow traversal with an optional IsEqualTo folder:DisplayName restriction (the only one used by clients here). */
  private findFolder(ref: XmlNode, node: XmlNode): Resolved<string> {
    const found = this.folder(ref);
    if (isError(found)) return found;
    const equal = node.Restriction?.IsEqualTo;
    const wanted = equal ? String(equal.FieldURIOrConstant?.Constant?.['@Value'] ?? '').toLowerCase() : null;
    const folders = found.mailbox.children(found.folder.id).filter((f) => wanted === null || f.name.toLowerCase() === wanted);
    const xml = folders.map((f) => folderXml(found.mailbox, f, 'Default')).join('');
    return `<m:RootFolder TotalItemsInView="${folders.length}" IncludesLastItemInRange="true"><t:Folders>${xml}</t:Folders></m:RootFolder>`;
  }

  // --- items --------------------------------------------------------------------------------

  /** IndexedPageItemView (MaxEntriesReturned, Offset, BasePoint) and a SortOrder on item:DateTimeReceived. */
  private findItem(ref: XmlNode, node: XmlNode): Resolved<string> {
    const found = this.folder(ref);
    if (isError(found)) return found;
    let items = found.mailbox.inFolder(found.folder.id);
    const order = list(node.SortOrder?.FieldOrder)[0];
    // Exchange's default order is newest first.
    if (!order || order['@Order'] === 'Descending') items = items.reverse();
    const view = node.IndexedPageItemView ?? {};
    const total = items.length;
    const max = Number(view['@MaxEntriesReturned'] ?? total);
    const offset = Number(view['@Offset'] ?? 0);
    const page = view['@BasePoint'] === 'End' ? items.slice(Math.max(0, total - offset - max), total - offset) : items.slice(offset, offset + max);
    const shape = requestedProperties(node.ItemShape);
    const next = offset + page.length;
    return `<m:RootFolder IndexedPagingOffset="${next}" TotalItemsInView="${total}" IncludesLastItemInRange="${next >= total}"><t:Items>${page.map((m) => itemXml(m, shape)).join('')}</t:Items></m:RootFolder>`;
  }

  private item(idNode: XmlNode): Resolved<{ mailbox: StoredMailbox; message: StoredMessage }> {
    const found = this.store.findMessage(String(idNode?.['@Id'] ?? ''));
    if (!found) return ITEM_NOT_FOUND;
    return this.store.mayOpen(found.mailbox.address, this.user) ? found : ACCESS_DENIED;
  }

  private withItem(idNode: XmlNode, render: (message: StoredMessage, mailbox: StoredMailbox) => string): Resolved<string> {
    const found = this.item(idNode);
    return isError(found) ? found : render(found.message, found.mailbox);
  }

  private updateItem(change: XmlNode): Resolved<string> {
    const found = this.item(list(change.ItemId)[0]);
    if (isError(found)) return found;
    for (const set of list(change.Updates?.SetItemField)) {
      const field = list(set.FieldURI)[0]?.['@FieldURI'];
      if (field !== 'message:IsRead') return { code: 'ErrorInvalidPropertySet', text: `the emulator only updates message:IsRead, not ${field}` };
      found.mailbox.setRead(found.message.id, textOf(list(set.Message)[0]?.IsRead) === 'true');
    }
    return `<m:Items>${itemIdOnlyXml(found.message)}</m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>`;
  }

  private moveItem(idNode: XmlNode, toFolder: XmlNode): Resolved<string> {
    const found = this.item(idNode);
    if (isError(found)) return found;
    const target = this.folder(this.folderRefs(toFolder)[0] ?? {});
    if (isError(target)) return target;
    if (target.mailbox !== found.mailbox) return { code: 'ErrorCrossMailboxMoveCopy', text: 'the emulator moves within one mailbox only' };
    return `<m:Items>${itemIdOnlyXml(found.mailbox.move(found.message.id, target.folder.id))}</m:Items>`;
  }

  private deleteItem(idNode: XmlNode, deleteType: string): Resolved<string> {
    const found = this.item(idNode);
    if (isError(found)) return found;
    const deleted = found.mailbox.wellKnown('deleteditems')!;
    if (deleteType === 'HardDelete' || found.message.folderId === deleted.id) found.mailbox.remove(found.message.id);
    else found.mailbox.move(found.message.id, deleted.id);
    return '';
  }

  /** MessageDisposition SaveOnly (a draft), SendOnly or SendAndSaveCopy (a copy in SavedItemFolderId, default Sent Items). */
  private createItem(message: XmlNode, node: XmlNode): Resolved<string> {
    const mime = textOf(message.MimeContent);
    if (!mime) return { code: 'ErrorInvalidRequest', text: 'the emulator creates messages from MimeContent only' };
    const raw = Buffer.from(mime, 'base64');
    const disposition = String(node['@MessageDisposition'] ?? 'SaveOnly');
    const savedRef = this.folderRefs(node.SavedItemFolderId)[0] ?? { distinguished: disposition === 'SaveOnly' ? 'drafts' : 'sentitems' };
    const saved = this.folder(savedRef);
    if (isError(saved)) return saved;
    if (disposition === 'SaveOnly') return `<m:Items>${itemIdOnlyXml(saved.mailbox.add(saved.folder.id, raw, { isRead: true }))}</m:Items>`;
    this.store.sent.push({ mailbox: saved.mailbox.address, sender: this.user, raw, savedCopy: disposition === 'SendAndSaveCopy', at: new Date() });
    if (disposition === 'SendAndSaveCopy') saved.mailbox.add(saved.folder.id, raw, { isRead: true });
    return '<m:Items/>';
  }

  private sendItem(idNode: XmlNode, node: XmlNode): Resolved<string> {
    const found = this.item(idNode);
    if (isError(found)) return found;
    const save = String(node['@SaveItemToFolder'] ?? 'true') === 'true';
    this.store.sent.push({ mailbox: found.mailbox.address, sender: this.user, raw: found.message.raw, savedCopy: save, at: new Date() });
    if (save) found.mailbox.move(found.message.id, found.mailbox.wellKnown('sentitems')!.id);
    else found.mailbox.remove(found.message.id);
    return '';
  }

  /**
   * SyncFolderItems: the changes of one folder since SyncState, at most MaxChangesReturned.
   * The state is opaque to clients (here: base64 JSON of folder id and log position).
   * Creates of items gone again are dropped, as are read-flag changes and deletions of
   * items the client never saw (Exchange collapses them the same way).
   */
  private syncFolderItems(ref: XmlNode, node: XmlNode): Resolved<string> {
    const found = this.folder(ref);
    if (isError(found)) return found;
    const { mailbox, folder } = found;
    let since = 0;
    const stateText = textOf(node.SyncState);
    if (stateText) {
      const state = decodeState(stateText);
      if (!state || state.f !== folder.id) return { code: 'ErrorInvalidSyncStateData', text: 'Synchronization state data is corrupt or otherwise invalid.' };
      since = state.s;
    }
    const max = Math.max(1, Math.min(512, Number(textOf(node.MaxChangesReturned) || 512)));
    const shape = requestedProperties(node.ItemShape);
    const pending = mailbox.changes.filter((c) => c.seq > since && c.folderId === folder.id);
    const out: string[] = [];
    let last = since;
    for (const change of pending) {
      if (out.length >= max) break;
      last = change.seq;
      const message = mailbox.messages.get(change.messageId);
      const present = message?.folderId === folder.id;
      if (change.kind === 'created' && present) out.push(`<t:Create>${itemXml(message!, shape)}</t:Create>`);
      const seenBefore = (message?.enteredSeq ?? enteredSeqOf(mailbox, change.messageId)) <= since;
      if (change.kind === 'readFlag' && present && seenBefore) out.push(`<t:ReadFlagChange><t:ItemId Id="${message!.id}" ChangeKey="${message!.changeKey}"/><t:IsRead>${message!.isRead}</t:IsRead></t:ReadFlagChange>`);
      if (change.kind === 'removed' && seenBefore) out.push(`<t:Delete><t:ItemId Id="${change.messageId}"/></t:Delete>`);
    }
    const done = pending.length === 0 || last === pending[pending.length - 1].seq;
    const next = encodeState({ f: folder.id, s: done ? Math.max(last, since) : last });
    return `<m:SyncState>${next}</m:SyncState><m:IncludesLastItemInRange>${done}</m:IncludesLastItemInRange><m:Changes>${out.join('')}</m:Changes>`;
  }
}

function enteredSeqOf(mailbox: StoredMailbox, messageId: string): number {
  return mailbox.changes.find((c) => c.messageId === messageId && c.kind === 'created')?.seq ?? 0;
}

function encodeState(state: { f: string; s: number }): string {
  return Buffer.from(JSON.stringify(state)).toString('base64');
}

function decodeState(text: string): { f: string; s: number } | null {
  try {
    const state = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    return typeof state?.f === 'string' && typeof state?.s === 'number' ? state : null;
  } catch {
    return null;
  }
}
