import type { MailBytes } from '../core/spool/spooled-bytes';
import type { Credentials, Deadlines, ServerEndpoint, TranscriptSink } from '../core/net/connection-options';

export type IncomingProtocol = 'imap' | 'imaps' | 'pop' | 'pops' | 'ews' | 'graph';
/** IMAP: markSeen | move | delete; POP: delete | keep; EWS/Graph: markRead | move | delete. */
export type AfterFetchAction = 'markSeen' | 'markRead' | 'move' | 'delete' | 'keep';

/**
 * Where a source left off, as JSON the fetch runner stores after each committed mail.
 * Adapter-defined: IMAP `{ uidValidity, lastUid }`, POP `{}` (UIDL + ledger), Graph
 * `{ deltaLink }`, EWS `{ syncState }`.
 */
export type SourceCursor = Record<string, string | number | null>;

/** One message on the server. */
export interface MailRef {
  /** Stable identity on the server: IMAP `uidValidity:uid`, POP UIDL, EWS/Graph item id. */
  serverId: string;
  size: number;
  /** Server's received time (IMAP INTERNALDATE, Graph receivedDateTime); used by `importExisting`. */
  receivedAt: Date | null;
  /** The cursor to store once this message (and every one before it) is committed. */
  cursorAfter: SourceCursor;
}

export interface FetchedMail {
  ref: MailRef;
  /** In memory, or in a spool file when large: whoever takes it releases it (releaseBytes). */
  raw: MailBytes;
}

export interface ListNewResult {
  /** Oldest first. May include messages the ledger already knows (e.g. POP, after a UIDVALIDITY reset): the runner filters. */
  messages: MailRef[];
  /** The folder's identity changed (IMAP UIDVALIDITY): the cursor was discarded and the folder is re-read. */
  cursorReset: boolean;
  /** Where to continue next time when `messages` is empty (e.g. a new deltaLink). */
  cursor: SourceCursor | null;
}

/**
 * The one port every incoming protocol implements. Adapters know protocols, never
 * requests: they list, stream raw RFC 822 bytes, and acknowledge what the runner tells
 * them to, only after it committed.
 */
export interface MailSource {
  connect(): Promise<void>;
  /** New messages after `cursor` (null: from the start), oldest first, at most `limit`. */
  listNew(cursor: SourceCursor | null, options: { limit: number }): Promise<ListNewResult>;
  /** The raw bytes of each message, in the order given; one range request where the protocol allows. */
  fetch(refs: MailRef[]): AsyncIterable<FetchedMail>;
  /** Run the after-fetch action on committed messages. */
  acknowledge(refs: MailRef[], action: AfterFetchAction, options?: { moveTo?: string | null }): Promise<void>;
  /** The OLDEST message of the folder, read without changing anything (IMAP BODY.PEEK, POP no DELE). */
  sampleOldest(): Promise<FetchedMail | null>;
  close(): Promise<void>;
}

/** A source that can wait for new mail (IMAP IDLE), for mailboxes with `idle: true`. */
export interface WatchableMailSource extends MailSource {
  /** Resolves 'changed' when new mail arrives, 'closed' when the connection ended or `signal` aborted. */
  waitForChange(signal: AbortSignal): Promise<'changed' | 'closed'>;
}

export function isWatchable(source: MailSource): source is WatchableMailSource {
  return typeof (source as Partial<WatchableMailSource>).waitForChange === 'function';
}

export interface MailSourceOptions {
  protocol: IncomingProtocol;
  endpoint: ServerEndpoint;
  /** ews: the EWS URL; graph: the Graph base URL override. */
  connectUrl?: string | null;
  credentials: Credentials;
  folder: string;
  deadlines: Deadlines;
  transcript?: TranscriptSink;
  /** A mail larger than this is downloaded into a spool file instead of memory (DESKMAIL_SPOOL_ABOVE_KB). */
  spoolAboveBytes?: number;
}

export type MailSourceFactory = (options: MailSourceOptions) => MailSource;
