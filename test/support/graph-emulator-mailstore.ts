import { randomBytes } from 'node:crypto';

/**
 * The in-memory Exchange mailbox model behind BOTH emulators (graph-emulator.ts and
 * ews-emulator.ts; each emulator owns its own store). Messages are kept as raw MIME, as
 * Exchange keeps the MIME a message arrived with; ids look like Exchange's (opaque,
 * base64-ish, new on every move, since an item moved to another folder is a new item).
 * Every change is appended to a log so delta queries (Graph) and SyncFolderItems (EWS) can
 * answer "what changed since state N" exactly.
 */
export interface StoredFolder {
  id: string;
  name: string;
  parentId: string | null;
  /** Distinguished name (EWS DistinguishedFolderId, Graph well-known folder name). */
  wellKnown?: string;
}

export interface StoredMessage {
  id: string;
  changeKey: string;
  folderId: string;
  raw: Buffer;
  receivedAt: Date;
  isRead: boolean;
  /** Log position at which the message entered its folder. */
  enteredSeq: number;
}

export type ChangeKind = 'created' | 'readFlag' | 'removed';

export interface ChangeEntry {
  seq: number;
  folderId: string;
  messageId: string;
  kind: ChangeKind;
}

export interface SentMail {
  /** The mailbox it was sent from and the account that sent it. */
  mailbox: string;
  sender: string;
  raw: Buffer;
  savedCopy: boolean;
  at: Date;
}

export const WELL_KNOWN_FOLDERS: Record<string, string> = {
  inbox: 'Inbox',
  sentitems: 'Sent Items',
  deleteditems: 'Deleted Items',
  drafts: 'Drafts',
  junkemail: 'Junk Email',
  archive: 'Archive',
  outbox: 'Outbox',
};

export function exchangeId(prefix: string): string {
  return `${prefix}${randomBytes(30).toString('base64url')}`;
}

export class StoredMailbox {
  readonly folders = new Map<string, StoredFolder>();
  readonly messages = new Map<string, StoredMessage>();
  readonly changes: ChangeEntry[] = [];
  readonly root: StoredFolder;
  seq = 0;

  constructor(
    readonly address: string,
    private readonly clock: () => Date,
  ) {
    this.root = this.addFolder('Top of Information Store', null, 'msgfolderroot');
    for (const [wellKnown, name] of Object.entries(WELL_KNOWN_FOLDERS)) this.addFolder(name, this.root.id, wellKnown);
  }

  wellKnown(name: string): StoredFolder | undefined {
    const key = name.toLowerCase();
    return [...this.folders.values()].find((folder) => folder.wellKnown === key);
  }

  children(parentId: string): StoredFolder[] {
    return [...this.folders.values()].filter((folder) => folder.parentId === parentId);
  }

  childNamed(parentId: string, name: string): StoredFolder | undefined {
    return this.children(parentId).find((folder) => folder.name.toLowerCase() === name.toLowerCase());
  }

  /** "inbox", "Inbox/Support", "Archive/2026": a well-known first segment or a child of the root. */
  folderByPath(path: string): StoredFolder | undefined {
    const segments = path.split('/').filter(Boolean);
    let folder = this.wellKnown(segments[0] ?? '') ?? this.childNamed(this.root.id, segments[0] ?? '');
    for (const name of segments.slice(1)) folder = folder && this.childNamed(folder.id, name);
    return folder;
  }

  /** Creates the missing folders of a path; answers the last. */
  createFolder(path: string): StoredFolder {
    let parent = this.root;
    for (const [i, name] of path.split('/').filter(Boolean).entries()) {
      const existing = (i === 0 && this.wellKnown(name)) || this.childNamed(parent.id, name);
      parent = existing || this.addFolder(name, parent.id);
    }
    return parent;
  }

  inFolder(folderId: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.folderId === folderId).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.enteredSeq - b.enteredSeq);
  }

  add(folderId: string, raw: Buffer, options: { receivedAt?: Date; isRead?: boolean } = {}): StoredMessage {
    const message: StoredMessage = {
      id: exchangeId('AAMkAD'),
      changeKey: exchangeId('CQAAAB'),
      folderId,
      raw,
      receivedAt: options.receivedAt ?? this.clock(),
      isRead: options.isRead ?? false,
      enteredSeq: 0,
    };
    this.messages.set(message.id, message);
    message.enteredSeq = this.log(folderId, message.id, 'created');
    return message;
  }

  setRead(id: string, isRead: boolean): StoredMessage {
    const message = this.require(id);
    if (message.isRead !== isRead) {
      message.isRead = isRead;
      message.changeKey = exchangeId('CQAAAB');
      this.log(message.folderId, id, 'readFlag');
    }
    return message;
  }

  /** A moved item is a new item with a new id in its new folder. */
  move(id: string, folderId: string): StoredMessage {
    const message = this.require(id);
    this.remove(id);
    return this.add(folderId, message.raw, { receivedAt: message.receivedAt, isRead: message.isRead });
  }

  remove(id: string): void {
    const message = this.require(id);
    this.messages.delete(id);
    this.log(message.folderId, id, 'removed');
  }

  private require(id: string): StoredMessage {
    const message = this.messages.get(id);
    if (!message) throw new Error(`no message ${id}`);
    return message;
  }

  private addFolder(name: string, parentId: string | null, wellKnown?: string): StoredFolder {
    const folder: StoredFolder = { id: exchangeId('AQMkAD'), name, parentId, wellKnown };
    this.folders.set(folder.id, folder);
    return folder;
  }

  private log(folderId: string, messageId: string, kind: ChangeKind): number {
    this.seq += 1;
    this.changes.push({ seq: this.seq, folderId, messageId, kind });
    return this.seq;
  }
}

/** All mailboxes of one emulator, and the delegations between them. */
export class MailStore {
  private readonly mailboxes = new Map<string, StoredMailbox>();
  private readonly delegates = new Set<string>();
  readonly sent: SentMail[] = [];
  private lastReceived = 0;

  /** Strictly increasing received times, so "oldest first" is well defined in tests. */
  private readonly clock = (): Date => {
    // Whole seconds apart: Exchange reports received times to the second, and ties would make "oldest" ambiguous.
    this.lastReceived = Math.max(Math.floor(Date.now() / 1000) * 1000, this.lastReceived + 1000);
    return new Date(this.lastReceived);
  };

  has(address: string): boolean {
    return this.mailboxes.has(address.toLowerCase());
  }

  mailbox(address: string): StoredMailbox {
    const key = address.toLowerCase();
    let mailbox = this.mailboxes.get(key);
    if (!mailbox) this.mailboxes.set(key, (mailbox = new StoredMailbox(key, this.clock)));
    return mailbox;
  }

  all(): StoredMailbox[] {
    return [...this.mailboxes.values()];
  }

  findMessage(id: string): { mailbox: StoredMailbox; message: StoredMessage } | undefined {
    for (const mailbox of this.mailboxes.values()) {
      const message = mailbox.messages.get(id);
      if (message) return { mailbox, message };
    }
    return undefined;
  }

  findFolder(id: string): { mailbox: StoredMailbox; folder: StoredFolder } | undefined {
    for (const mailbox of this.mailboxes.values()) {
      const folder = mailbox.folders.get(id);
      if (folder) return { mailbox, folder };
    }
    return undefined;
  }

  grant(mailbox: string, delegate: string): void {
    this.delegates.add(`${mailbox.toLowerCase()}|${delegate.toLowerCase()}`);
  }

  /** Its owner, or an account given full access to it. */
  mayOpen(mailbox: string, user: string): boolean {
    return mailbox.toLowerCase() === user.toLowerCase() || this.delegates.has(`${mailbox.toLowerCase()}|${user.toLowerCase()}`);
  }

  clear(): void {
    this.mailboxes.clear();
    this.delegates.clear();
    this.sent.length = 0;
  }
}
