import type { FetchMessageObject, ImapFlow, MailboxObject, MailboxLockObject } from 'imapflow';
import { ConnectionError, ProtocolError } from '../../../core/errors';
import { downloadDeadlineMs, withDeadline } from '../../../core/net/deadline';
import type {
  AfterFetchAction,
  FetchedMail,
  ListNewResult,
  MailRef,
  MailSource,
  MailSourceOptions,
  SourceCursor,
} from '../../mail-source.port';
import { ServerContext, hostPort, serverContext } from '../error-mapping';
import { TranscriptRedactor } from '../transcript-redactor';
import { RawMailBuffer } from '../raw-mail-buffer';
import type { MailBytes } from '../../../core/spool/spooled-bytes';
import { FetchPump } from './fetch-pump';
import { createImapClient, imapAuth, imapFlowLogger } from './imap-client.factory';
import { imapServerId, parseImapServerId, readImapCursor, toSourceCursor } from './imap-cursor';
import { mapImapError } from './imap-error.mapper';
import { uidSets } from './uid-set';

/** How far the FETCH may be read ahead of a busy consumer. */
const FETCH_READ_AHEAD_BYTES = 8 * 1024 * 1024;
/**
 * Mails larger than this are not part of the batch FETCH: imapflow collects a literal as a
 * list of socket chunks and then concatenates them, so a 25 MB mail was held twice (plus
 * the read-ahead) before we saw it. They are downloaded on their own instead, in partial
 * FETCHes (RFC 3501 §6.4.5 `BODY.PEEK[]<start.length>`), straight into one buffer.
 */
const STREAMED_MAIL_BYTES = 1024 * 1024;
/**
 * Bytes per partial FETCH of a streamed mail: what imapflow holds twice at a time. Half a
 * MiB kept the peak of a 25 MB mail 2-3 MB lower than 1 MiB, for one round trip per piece
 * (52 for 25 MB; on a 30 ms link 1.5 s, less than the transfer itself on 100 Mbit/s).
 */
const STREAM_PIECE_BYTES = 512 * 1024;

/**
 * IMAP (RFC 3501) on imapflow. One connection, one folder: SELECT for listing, fetching
 * and acknowledging (flags need a read-write folder), EXAMINE for the sample (nothing can
 * change). The cursor is `{ uidValidity, lastUid }`.
 */
export class ImapSource implements MailSource {
  private client: ImapFlow | null = null;
  private lock: MailboxLockObject | null = null;
  private readOnly = false;
  private pump: FetchPump | null = null;
  private lastLoggedError: unknown = null;
  private readonly ctx: ServerContext;
  private readonly where: string;

  constructor(private readonly options: MailSourceOptions) {
    this.ctx = serverContext(options);
    this.where = hostPort(this.ctx);
  }

  /**
   * Connects and logs in. An OAuth2 refusal surfaces as AuthenticationError; the one
   * forced token refresh and second try live in SourceConnector, for every protocol alike.
   */
  async connect(): Promise<void> {
    await this.close();
    const redactor = new TranscriptRedactor(this.options.transcript);
    const { auth, secret } = await imapAuth(this.options);
    redactor.addSecret(secret);
    const logger = imapFlowLogger(redactor, (err) => (this.lastLoggedError = err));
    const client = createImapClient(this.options, auth, logger);
    // imapflow reports a dropped connection as an 'error' event; unhandled it would end the process.
    client.on('error', (err: unknown) => (this.lastLoggedError = err));
    this.client = client;
    const { connectMs, commandMs } = this.options.deadlines;
    try {
      await withDeadline(client.connect(), connectMs + commandMs, `no answer from ${this.where}`, () => client.close());
    } catch (err) {
      this.client = null;
      client.close();
      throw mapImapError(err, this.ctx);
    }
  }

  async listNew(cursor: SourceCursor | null, { limit }: { limit: number }): Promise<ListNewResult> {
    const box = await this.openFolder(false, true);
    const uidValidity = box.uidValidity.toString();
    const stored = readImapCursor(cursor);
    const cursorReset = stored !== null && stored.uidValidity !== uidValidity;
    const lastUid = stored && !cursorReset ? stored.lastUid : 0;
    const client = this.requireClient();
    // RFC 3501 §6.4.8/§9: in `n:*` the `*` is the highest UID present, so when nothing is
    // newer the server still answers with that last (old) UID: filter it out.
    const found = await this.command('UID SEARCH', () => client.search({ uid: `${lastUid + 1}:*` }, { uid: true }));
    if (found === false || found === undefined) throw new ProtocolError(`${this.where} refused UID SEARCH in ${this.options.folder}`);
    const uids = found.filter((uid) => uid > lastUid).sort((a, b) => a - b).slice(0, Math.max(0, limit));
    const messages: MailRef[] = [];
    for (const set of uidSets(uids)) {
      const rows = await this.command('UID FETCH', () =>
        client.fetchAll(set, { uid: true, size: true, internalDate: true }, { uid: true }),
      );
      for (const row of rows) messages.push(this.toRef(uidValidity, row));
    }
    messages.sort((a, b) => Number(a.cursorAfter.lastUid) - Number(b.cursorAfter.lastUid));
    return { messages, cursorReset, cursor: toSourceCursor({ uidValidity, lastUid }) };
  }

  async *fetch(refs: MailRef[]): AsyncIterable<FetchedMail> {
    if (refs.length === 0) return;
    const box = await this.openFolder(false);
    const uidValidity = box.uidValidity.toString();
    const wanted = this.currentUids(refs, uidValidity);
    for (const group of byDownloadKind(wanted)) {
      if (group.streamed) {
        // Reads the end of a batch FETCH before it (or reconnects after a dropped connection).
        const current = await this.openFolder(false);
        if (current.uidValidity.toString() !== uidValidity) throw new ConnectionError(`${this.where} reset the folder ${this.options.folder} (UIDVALIDITY changed) during the fetch`);
        const { uid, ref } = group.messages[0];
        const raw = await this.download(uid, ref);
        // Expunged by someone else between listing and fetching: nothing to import.
        if (raw) yield { ref, raw };
      } else {
        yield* this.fetchBatch(group.messages);
      }
    }
  }

  /** Small mails: ONE `UID FETCH` for the batch, read by the pump. */
  private async *fetchBatch(wanted: Array<{ uid: number; ref: MailRef }>): AsyncGenerator<FetchedMail> {
    const client = this.requireClient();
    const largest = Math.max(...wanted.map(({ ref }) => ref.size));
    const deadlineMs = downloadDeadlineMs(largest, this.options.deadlines.commandMs, this.options.deadlines.downloadMsPerMiB);
    const iterator = fetchSources(client, uidSets(wanted.map(({ uid }) => uid)))[Symbol.asyncIterator]();
    const pump = new FetchPump(
      () => withDeadline(iterator.next(), deadlineMs, `no answer from ${this.where} to UID FETCH`, () => client.close()),
      FETCH_READ_AHEAD_BYTES,
    );
    this.pump = pump;
    try {
      for (const { uid, ref } of wanted) {
        let raw: Buffer | null;
        try {
          raw = await pump.take(uid);
        } catch (err) {
          throw mapImapError(err, this.ctx, { command: 'UID FETCH' });
        }
        // Expunged by someone else between listing and fetching: nothing to import; the
        // cursor moves past it with the next committed message.
        if (raw) yield { ref, raw };
      }
    } finally {
      pump.discard();
    }
  }

  /**
   * One large mail in partial FETCHes (imapflow's download(), which also copes with servers
   * that ignore the partial range or answer late), each piece copied into a RawMailBuffer as
   * it arrives. Null when the message is gone; a message that disappears half way fails.
   */
  private async download(uid: number, ref: MailRef): Promise<MailBytes | null> {
    const client = this.requireClient();
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    const work = (async () => {
      const { meta, content } = await client.download(String(uid), undefined, { uid: true, chunkSize: STREAM_PIECE_BYTES });
      if (!content) return null;
      const raw = new RawMailBuffer(meta?.expectedSize || ref.size, this.options.spoolAboveBytes);
      try {
        for await (const piece of content as AsyncIterable<Buffer>) raw.append(piece);
      } catch (error) {
        raw.discard();
        throw error;
      }
      return raw.toBytes();
    })();
    try {
      return await withDeadline(work, downloadDeadlineMs(ref.size, commandMs, downloadMsPerMiB), `no answer from ${this.where} to UID FETCH`, () => client.close());
    } catch (err) {
      throw mapImapError(err, this.ctx, { command: 'UID FETCH' });
    }
  }

  async acknowledge(refs: MailRef[], action: AfterFetchAction, options: { moveTo?: string | null } = {}): Promise<void> {
    if (refs.length === 0 || action === 'keep') return;
    const box = await this.openFolder(false);
    // Refs from an older UIDVALIDITY name nothing any more; the re-read after the reset
    // lists those mails again and de-duplication acknowledges them under their new UIDs.
    const uids = this.currentUids(refs, box.uidValidity.toString()).map(({ uid }) => uid);
    const client = this.requireClient();
    for (const set of uidSets(uids)) {
      switch (action) {
        case 'markSeen':
        case 'markRead':
          await this.expectSuccess('UID STORE +FLAGS (\\Seen)', () => client.messageFlagsAdd(set, ['\\Seen'], { uid: true }));
          break;
        case 'move': {
          const moveTo = options.moveTo?.trim();
          if (!moveTo) throw new ProtocolError('afterFetch "move" needs a moveTo folder');
          await this.moveTo(set, moveTo);
          break;
        }
        case 'delete':
          // STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE of exactly these UIDs (RFC 4315)
          // when the server has UIDPLUS; without it a plain EXPUNGE (RFC 3501 §6.4.3).
          await this.expectSuccess('UID EXPUNGE', () => client.messageDelete(set, { uid: true }));
          break;
      }
    }
  }

  async sampleOldest(): Promise<FetchedMail | null> {
    const box = await this.openFolder(true, true);
    const client = this.requireClient();
    if (box.exists === 0) return null;
    // Sequence number 1 is the oldest message (RFC 3501 §2.3.1.2); EXAMINE plus BODY.PEEK
    // (§6.3.2, §6.4.5) leave flags, \Recent and the message count as they were.
    const row = await this.command('FETCH', () => client.fetchOne('1', { uid: true, size: true, internalDate: true }));
    if (!row) return null;
    const ref = this.toRef(box.uidValidity.toString(), row);
    // The download a fetch uses for large mails: a large oldest mail arrives in pieces into one buffer.
    const raw = await this.download(row.uid, ref);
    return raw ? { ref, raw } : null;
  }

  /**
   * IMAP IDLE (RFC 2177): waits until the folder announces new mail (EXISTS grows), the
   * connection ends, or `signal` aborts. imapflow ends an IDLE with a NOOP when the socket
   * has been quiet for `commandMs`; the loop starts the next one, so the wait can last hours.
   */
  async waitForChange(signal: AbortSignal): Promise<'changed' | 'closed'> {
    await this.openFolder(false, true);
    const client = this.requireClient();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: 'changed' | 'closed') => {
        if (settled) return;
        settled = true;
        client.off('exists', onExists);
        client.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onExists = (update: { count: number; prevCount: number }) => {
        if (update.count > update.prevCount) finish('changed');
      };
      const onClose = () => finish('closed');
      const onAbort = () => finish('closed');
      client.on('exists', onExists);
      client.on('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return finish('closed');
      void (async () => {
        while (!settled && client.usable) await client.idle().catch(() => undefined);
        finish('closed');
      })();
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.pump?.discard();
    this.pump = null;
    this.lock?.release();
    this.lock = null;
    if (!client) return;
    try {
      if (client.usable) await withDeadline(client.logout(), this.options.deadlines.commandMs, `no answer from ${this.where} to LOGOUT`);
    } catch {
      // Closing is best effort: the mail is committed, the server forgets the session anyway.
    } finally {
      client.close();
    }
  }

  /**
   * Opens the folder (SELECT, or EXAMINE when `readOnly`) unless it is open that way already.
   * `refresh`: a folder that stays selected only learns of new mail when the server syncs
   * the session (RFC 3501 §5.2: EXISTS after a command), and a SEARCH only sees messages
   * already announced, so a NOOP goes first.
   */
  private async openFolder(readOnly: boolean, refresh = false): Promise<MailboxObject> {
    // Not connected yet, or the server dropped an idle session: open a new one.
    if (!this.client?.usable) await this.connect();
    const client = this.requireClient();
    if (this.pump) {
      // Another command needs the connection: read what the FETCH still sends first.
      await this.pump.drain();
      this.pump = null;
    }
    if (this.lock && this.readOnly !== readOnly) {
      this.lock.release();
      this.lock = null;
    }
    if (!this.lock) {
      const folder = this.options.folder;
      this.lock = await this.command(readOnly ? 'EXAMINE' : 'SELECT', () => client.getMailboxLock(folder, { readOnly }));
      this.readOnly = readOnly;
    } else if (refresh) {
      await this.command('NOOP', () => client.noop());
    }
    const box = client.mailbox;
    if (!box) throw new ConnectionError(`${this.where} closed the folder ${this.options.folder}`);
    return box;
  }

  private async moveTo(set: string, folder: string): Promise<void> {
    const client = this.requireClient();
    // Decision: do NOT create a missing target folder. A typo in moveTo would otherwise
    // hide every fetched mail in a folder nobody looks at; a clear error lets the admin fix it.
    await this.expectSuccess('UID MOVE', () => client.messageMove(set, folder, { uid: true }), folder);
  }

  /** imapflow answers `false` (and only logs why) when STORE / MOVE / EXPUNGE fail. */
  private async expectSuccess(command: string, run: () => Promise<unknown>, folder?: string): Promise<void> {
    this.lastLoggedError = null;
    const result = await this.command(command, run);
    if (result !== false && result !== undefined) return;
    const err = this.lastLoggedError;
    if (!this.client?.usable) throw mapImapError(err ?? { code: 'NoConnection' }, this.ctx, { command });
    const text = String((err as { responseText?: string } | null)?.responseText ?? '');
    if (folder && /TRYCREATE|NONEXISTENT|doesn't exist|does not exist/i.test(text)) {
      throw new ProtocolError(`folder "${folder}" does not exist on ${this.where}; create it or change moveTo`, { cause: err });
    }
    throw err ? mapImapError(err, this.ctx, { command }) : new ProtocolError(`${this.where} refused ${command}`);
  }

  /** Runs one command under the command deadline, failures mapped to the MailError family. */
  private async command<T>(command: string, run: () => Promise<T>): Promise<T> {
    const client = this.requireClient();
    try {
      return await withDeadline(run(), this.options.deadlines.commandMs, `no answer from ${this.where} to ${command}`, () =>
        client.close(),
      );
    } catch (err) {
      throw mapImapError(err, this.ctx, { command, folder: this.options.folder });
    }
  }

  private requireClient(): ImapFlow {
    if (!this.client) throw new ConnectionError(`not connected to ${this.where}`);
    return this.client;
  }

  private currentUids(refs: MailRef[], uidValidity: string): Array<{ uid: number; ref: MailRef }> {
    const result: Array<{ uid: number; ref: MailRef }> = [];
    for (const ref of refs) {
      const id = parseImapServerId(ref.serverId);
      if (id && id.uidValidity === uidValidity) result.push({ uid: id.uid, ref });
    }
    return result;
  }

  private toRef(uidValidity: string, row: FetchMessageObject): MailRef {
    const receivedAt = row.internalDate ? new Date(row.internalDate) : null;
    return {
      serverId: imapServerId(uidValidity, row.uid),
      size: row.size ?? row.source?.length ?? 0,
      receivedAt: receivedAt && !Number.isNaN(receivedAt.getTime()) ? receivedAt : null,
      cursorAfter: toSourceCursor({ uidValidity, lastUid: row.uid }),
    };
  }
}

/**
 * The wanted messages in their order, as runs of small ones (one batch FETCH each) and
 * large ones (streamed, one at a time).
 */
function byDownloadKind(wanted: Array<{ uid: number; ref: MailRef }>): Array<{ streamed: boolean; messages: Array<{ uid: number; ref: MailRef }> }> {
  const groups: Array<{ streamed: boolean; messages: Array<{ uid: number; ref: MailRef }> }> = [];
  for (const message of wanted) {
    const streamed = message.ref.size > STREAMED_MAIL_BYTES;
    const last = groups.at(-1);
    if (last && !streamed && !last.streamed) last.messages.push(message);
    else groups.push({ streamed, messages: [message] });
  }
  return groups;
}

/**
 * `UID FETCH <set> (UID BODY.PEEK[])`: ONE command for a batch (a second one only when the
 * set would make the line too long, see uid-set.ts). RFC 3501 §6.4.5: BODY.PEEK leaves
 * \Seen untouched, so only the acknowledgement after the commit marks anything.
 */
async function* fetchSources(client: ImapFlow, sets: string[]): AsyncGenerator<FetchMessageObject> {
  for (const set of sets) yield* client.fetch(set, { uid: true, source: true }, { uid: true });
}
