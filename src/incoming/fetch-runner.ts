import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { groupsOf } from '../core/batching/groups';
import { APP_CONFIG, type AppConfig } from '../core/config/app-config';
import { Database } from '../core/database/database';
import { CommitEffects } from '../core/database/commit-effects';
import { DatabaseUnavailableError } from '../core/errors';
import { Mutex } from '../core/database/mutex';
import { LOGGER } from '../core/logging/logger';
import { MailboxLogService } from '../mailboxes/mailbox-log.service';
import { MailboxStateService } from '../mailboxes/mailbox-state.service';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import type { SideState } from '../mailboxes/mailbox.types';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import { backoffDelayMs } from './backoff';
import { FetchMetrics } from './fetch.metrics';
import { importVerdict } from './import-policy';
import { LedgerService, type NewLedgerRow } from './ledger/ledger.service';
import { MAIL_INTAKE, type IntakeContext, type IntakeResult, type MailIntake, type PreparedMail } from './mail-intake.port';
import type { AfterFetchAction, FetchedMail, MailRef, MailSource, SourceCursor } from './mail-source.port';
import { describeError, stateForError } from './side-state.mapping';
import { SourceConnector } from './source-connector';
import { SourceOptionsFactory } from './source-options.factory';

export interface FetchSummary {
  fetched: number;
  created: number;
  appended: number;
  skipped: number;
  quarantined: number;
}

/** Messages listed per round trip; mails per commit and their raw bytes (bounded memory); chunks loading while one commits. */
const LIST_BATCH = 500;
const COMMIT_BATCH = 50;
const COMMIT_BATCH_BYTES = 8 * 1024 * 1024;
const LOAD_AHEAD = 2;
const ACK_BATCH = 1_000;

/**
 * The ONE fetch loop for every protocol: connect (one token refresh on an OAuth2
 * refusal), finish acknowledgements a previous run left undone, then list → fetch →
 * prepare → commit (outcome + ledger + cursor in one transaction, a savepoint per mail)
 * → acknowledge, batch by batch, so a run stopped half way resumes where it stopped.
 */
@Injectable()
export class FetchRunner {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MAIL_INTAKE) private readonly intake: MailIntake,
    private readonly mailboxes: MailboxesService,
    private readonly states: MailboxStateService,
    private readonly logs: MailboxLogService,
    private readonly ledger: LedgerService,
    private readonly sourceOptions: SourceOptionsFactory,
    private readonly metrics: FetchMetrics,
    private readonly connector: SourceConnector,
  ) {}

  async run(mailboxId: string): Promise<FetchSummary> {
    const mailbox = await this.mailboxes.get(mailboxId);
    const summary: FetchSummary = { fetched: 0, created: 0, appended: 0, skipped: 0, quarantined: 0 };
    if (!mailbox.incoming.enabled) return summary;
    const stopTimer = this.metrics.runDuration.startTimer({ protocol: mailbox.incoming.protocol });
    const { options, transcript } = this.sourceOptions.build(mailbox);
    let source: MailSource | null = null;
    // What the mail server side is now, for a failure that is not about it (the database).
    let serverState = mailbox.incomingState;
    try {
      source = await this.connector.open(mailbox.id, options);
      serverState = 'connected';
      await this.states.set(mailbox.id, 'incoming', 'connected');
      await this.acknowledgePending(source, mailbox);
      const listed = await this.fetchNew(source, mailbox, summary);
      await this.recordSuccess(mailbox, summary, await this.reconcile(mailbox, listed));
      this.metrics.runs.inc({ protocol: mailbox.incoming.protocol, result: 'ok' });
      return summary;
    } catch (error) {
      await this.recordFailure(mailbox, error, serverState);
      this.metrics.runs.inc({ protocol: mailbox.incoming.protocol, result: 'error' });
      throw error;
    } finally {
      stopTimer();
      await source?.close().catch(() => undefined);
      await transcript?.flush().catch(() => undefined);
    }
  }

  /** After-fetch actions a crash or an error left undone; they run before anything new is fetched. */
  private async acknowledgePending(source: MailSource, mailbox: Mailbox): Promise<void> {
    const folder = mailbox.incoming.folder;
    const pending = await this.ledger.pendingAcknowledgements(mailbox.id, folder, ACK_BATCH);
    const byAction = new Map<string, MailRef[]>();
    for (const row of pending) {
      const refs = byAction.get(row.action!) ?? [];
      refs.push({ serverId: row.serverId, size: row.size, receivedAt: null, cursorAfter: {} });
      byAction.set(row.action!, refs);
    }
    for (const [action, refs] of byAction) await this.acknowledge(source, mailbox, refs, action as AfterFetchAction);
  }

  /** Fetches everything new; returns the server ids the server listed past the cursor. */
  private async fetchNew(source: MailSource, mailbox: Mailbox, summary: FetchSummary): Promise<Set<string>> {
    const seen = new Set<string>();
    const folder = mailbox.incoming.folder;
    const stored = await this.ledger.cursor(mailbox.id, folder);
    const firstRun = !stored?.firstRunCompletedAt;
    let cursor: SourceCursor | null = stored?.cursor ?? null;
    for (;;) {
      const listed = await source.listNew(cursor, { limit: LIST_BATCH });
      if (listed.cursorReset) {
        await this.logs.append(mailbox.id, { level: 'warn', event: 'fetch', side: 'incoming', message: `the server reset the folder ${folder} (IMAP UIDVALIDITY changed, or the EWS/Graph sync state expired): re-reading it; mail already taken is recognised as a duplicate` });
      }
      for (const message of listed.messages) seen.add(message.serverId);
      const known = await this.ledger.knownServerIds(mailbox.id, folder, listed.messages.map((m) => m.serverId));
      const fresh = listed.messages.filter((m) => !known.has(m.serverId));
      if (fresh.length === 0) {
        const next = listed.messages.at(-1)?.cursorAfter ?? listed.cursor ?? cursor;
        await this.db.transaction((em) => this.ledger.saveCursor(em, mailbox.id, folder, next, firstRun));
        // POP lists every message every time: nothing fresh means done, whatever the list length.
        if (listed.messages.length < LIST_BATCH || JSON.stringify(next) === JSON.stringify(cursor)) return seen;
        cursor = next;
        continue;
      }
      await this.processChunks(source, mailbox, fresh, firstRun, summary);
      cursor = listed.messages.at(-1)!.cursorAfter;
      if (listed.messages.length < LIST_BATCH && Object.keys(cursor).length === 0) {
        // Cursor-less protocols (POP): the ledger is the cursor; one listing covers everything.
        await this.db.transaction((em) => this.ledger.saveCursor(em, mailbox.id, folder, null, firstRun));
        return seen;
      }
    }
  }

  /**
   * Chunk after chunk, pipelined: up to LOAD_AHEAD chunks download and parse (on the parse
   * workers) while the oldest one commits and is acknowledged, so network, parse workers and
   * database each stay busy. The server connection takes one command stream at a time
   * (`connection`): a chunk's download and an acknowledgement never interleave. A crash in
   * between leaves committed rows unacknowledged, which the next run acknowledges first.
   */
  private async processChunks(source: MailSource, mailbox: Mailbox, refs: MailRef[], firstRun: boolean, summary: FetchSummary): Promise<void> {
    const groups = groupsOf(refs, (ref) => ref.size, { count: COMMIT_BATCH, bytes: COMMIT_BATCH_BYTES });
    const connection = new Mutex();
    const ahead: Array<Promise<LoadedChunk>> = [];
    let started = 0;
    const loadAhead = (): void => {
      while (ahead.length < LOAD_AHEAD && started < groups.length) {
        const loading = this.loadChunk(source, connection, mailbox, groups[started++], firstRun);
        loading.catch(() => undefined); // awaited in order below; one failing must not leave the others unhandled
        ahead.push(loading);
      }
    };
    loadAhead();
    while (ahead.length > 0) {
      const loaded = await ahead.shift()!;
      loadAhead();
      const committedAt = performance.now();
      let toAcknowledge: MailRef[];
      try {
        toAcknowledge = await this.commitChunk(mailbox, loaded, summary);
      } finally {
        // Stored or not, the chunk's bytes are done with: large mails' spool files close.
        for (const { fetched } of loaded.prepared) this.intake.release(fetched.raw);
      }
      const commitMs = performance.now() - committedAt;
      const acknowledgedAt = performance.now();
      const action = actionFor(mailbox);
      if (action) await connection.runExclusive(() => this.acknowledge(source, mailbox, toAcknowledge, action as AfterFetchAction));
      this.logger.debug(
        { mailbox: mailbox.id, mails: loaded.chunk.length, loadMs: ms(loaded.loadMs), commitMs: ms(commitMs), acknowledgeMs: ms(performance.now() - acknowledgedAt) },
        'fetch chunk committed',
      );
    }
  }

  /** Downloads a chunk (holding the connection) and prepares (parses) each mail as it arrives, on the worker threads. */
  private async loadChunk(source: MailSource, connection: Mutex, mailbox: Mailbox, chunk: MailRef[], firstRun: boolean): Promise<LoadedChunk> {
    const startedAt = performance.now();
    const verdicts = new Map(chunk.map((ref) => [ref.serverId, importVerdict(mailbox, ref, firstRun)]));
    const toFetch = chunk.filter((ref) => verdicts.get(ref.serverId) !== 'ignore');
    const preparing: Array<Promise<PreparedEntry>> = [];
    await connection.runExclusive(async () => {
      for await (const fetched of toFetch.length ? source.fetch(toFetch) : []) {
        const context: IntakeContext = { mailbox, firstImport: verdicts.get(fetched.ref.serverId) === 'import-old', receivedAt: fetched.ref.receivedAt };
        preparing.push(this.intake.prepare(fetched.raw, context).then((result) => ({ fetched, context, result }), (error: Error) => ({ fetched, context, result: error })));
      }
    });
    const prepared = await Promise.all(preparing);
    this.metrics.mailsFetched.inc({ protocol: mailbox.incoming.protocol }, prepared.length);
    return { chunk, ignored: chunk.filter((ref) => verdicts.get(ref.serverId) === 'ignore'), prepared, loadMs: performance.now() - startedAt };
  }

  /**
   * Outcomes, ledger rows and the cursor of one chunk in ONE transaction. The whole chunk
   * goes through the pipeline as one batch (a few multi-row statements); if that fails, the
   * transaction rolls back and the chunk is stored again mail by mail, a savepoint each, so
   * the one mail that cannot be stored is quarantined and the rest still commit. Returns
   * what to acknowledge.
   */
  private async commitChunk(mailbox: Mailbox, loaded: LoadedChunk, summary: FetchSummary): Promise<MailRef[]> {
    // Metrics wait for the commit: a batch that rolls back and is stored again counts once.
    const effects = new CommitEffects();
    let rows: NewLedgerRow[];
    try {
      rows = await this.db.transaction(async (em) => this.finishChunk(em, mailbox, loaded, await this.storeBatch(em, loaded, effects)));
    } catch (error) {
      effects.discard();
      // A database that does not answer fails every mail alike: the run stops, nothing of the
      // chunk is acknowledged, and the next run takes it again.
      if (error instanceof DatabaseUnavailableError) throw error;
      this.logger.debug({ mailbox: mailbox.id, err: error }, 'chunk not stored as a batch; storing it mail by mail');
      rows = await this.db.transaction(async (em) => this.finishChunk(em, mailbox, loaded, await this.storeOneByOne(loaded, effects)));
    }
    effects.run();
    summary.skipped += rows.filter((r) => r.outcome === 'ignored' || r.outcome === 'duplicate').length;
    summary.fetched += loaded.prepared.length;
    summary.created += rows.filter((r) => r.outcome === 'request').length;
    summary.appended += rows.filter((r) => r.outcome === 'appended').length;
    summary.quarantined += rows.filter((r) => r.outcome === 'quarantined').length;
    return loaded.prepared.map((p) => p.fetched.ref);
  }

  /** The chunk in one pipeline batch; a mail whose preparation failed is quarantined with the reason. */
  private async storeBatch(em: EntityManager, loaded: LoadedChunk, effects: CommitEffects): Promise<Array<[FetchedMail, IntakeResult]>> {
    const stored: Array<[FetchedMail, IntakeResult]> = [];
    const prepared = loaded.prepared.filter((entry): entry is PreparedEntry & { result: PreparedMail } => !(entry.result instanceof Error));
    const results = await this.intake.store(em, prepared.map((entry) => ({ mail: entry.result, context: entry.context })), effects.add);
    prepared.forEach((entry, index) => stored.push([entry.fetched, results[index]]));
    for (const { fetched, context, result } of loaded.prepared) {
      if (result instanceof Error) stored.push([fetched, await this.intake.quarantine(em, fetched.raw, result.message, context, effects.add)]);
    }
    return stored;
  }

  /** Mail by mail, a savepoint each: a mail that cannot be stored is quarantined ("storage failed") and the rest go on. */
  private async storeOneByOne(loaded: LoadedChunk, effects: CommitEffects): Promise<Array<[FetchedMail, IntakeResult]>> {
    const stored: Array<[FetchedMail, IntakeResult]> = [];
    for (const { fetched, context, result } of loaded.prepared) {
      const mine = new CommitEffects();
      const outcome = await this.db
        .transaction(async (savepoint) =>
          result instanceof Error
            ? this.intake.quarantine(savepoint, fetched.raw, result.message, context, mine.add)
            : (await this.intake.store(savepoint, [{ mail: result, context }], mine.add))[0],
        )
        .catch((error: Error) => {
          mine.discard();
          if (error instanceof DatabaseUnavailableError) throw error;
          return this.db.transaction((savepoint) => this.intake.quarantine(savepoint, fetched.raw, `could not be stored: ${error.message}`, context, mine.add));
        });
      effects.adopt(mine);
      stored.push([fetched, outcome]);
    }
    return stored;
  }

  /** The ledger rows of the chunk and the cursor past it, in the transaction of its outcomes. */
  private async finishChunk(em: EntityManager, mailbox: Mailbox, loaded: LoadedChunk, stored: Array<[FetchedMail, IntakeResult]>): Promise<NewLedgerRow[]> {
    const folder = mailbox.incoming.folder;
    const action = actionFor(mailbox);
    const rows: NewLedgerRow[] = loaded.ignored.map((ref) => ({ ref, messageId: null, outcome: 'ignored' as const, requestId: null, action: null }));
    for (const [fetched, result] of stored) rows.push({ ref: fetched.ref, messageId: result.messageId, outcome: result.outcome, requestId: result.requestId, action });
    await this.ledger.insert(em, mailbox.id, folder, rows);
    // The cursor moves in the same transaction as the mail it passes: a stop resumes right after it.
    const cursor = loaded.chunk.at(-1)!.cursorAfter;
    if (Object.keys(cursor).length > 0) await this.ledger.saveCursor(em, mailbox.id, folder, cursor);
    return rows;
  }

  private async acknowledge(source: MailSource, mailbox: Mailbox, refs: MailRef[], action: AfterFetchAction): Promise<void> {
    if (refs.length === 0) return;
    const folder = mailbox.incoming.folder;
    const ids = refs.map((r) => r.serverId);
    try {
      await source.acknowledge(refs, action, { moveTo: mailbox.incoming.moveTo });
      await this.ledger.markAcknowledged(mailbox.id, folder, ids);
    } catch (error) {
      const { message } = describeError(error);
      await this.ledger.markAcknowledged(mailbox.id, folder, ids, message);
      await this.logs.append(mailbox.id, { level: 'warn', event: 'acknowledge', side: 'incoming', message: `${action} failed for ${refs.length} committed mail(s); retried on the next run: ${message}` });
      throw error;
    }
  }

  /** The reconciliation figure: of the messages the server listed this run, how many the ledger holds now. */
  private async reconcile(mailbox: Mailbox, listed: Set<string>): Promise<NonNullable<Mailbox['reconciliation']>> {
    const ids = [...listed];
    let inLedger = 0;
    for (let i = 0; i < ids.length; i += ACK_BATCH) inLedger += (await this.ledger.knownServerIds(mailbox.id, mailbox.incoming.folder, ids.slice(i, i + ACK_BATCH))).size;
    return { at: new Date().toISOString(), listed: ids.length, inLedger, missing: ids.length - inLedger };
  }

  private async recordSuccess(mailbox: Mailbox, summary: FetchSummary, reconciliation: NonNullable<Mailbox['reconciliation']>): Promise<void> {
    const now = new Date();
    await this.mailboxes.recordFetch(mailbox.id, {
      reconciliation,
      lastFetchAt: now,
      lastSuccessAt: now,
      failedRuns: 0,
      failingSince: null,
      nextFetchAt: new Date(now.getTime() + mailbox.incoming.fetchIntervalMinutes * 60_000),
    });
    if (summary.fetched > 0 || summary.skipped > 0) {
      await this.logs.append(mailbox.id, {
        level: 'info',
        event: 'fetch',
        side: 'incoming',
        message: `fetched ${summary.fetched}: ${summary.created} new request(s), ${summary.appended} appended, ${summary.quarantined} quarantined, ${summary.skipped} skipped`,
      });
    }
  }

  private async recordFailure(mailbox: Mailbox, error: unknown, serverState: SideState): Promise<void> {
    const now = new Date();
    const failedRuns = mailbox.failedRuns + 1;
    const described = describeError(error);
    this.metrics.errors.inc({ code: described.code });
    this.logger.warn({ mailbox: mailbox.id, code: described.code }, `fetch failed: ${described.message}`);
    await this.states.set(mailbox.id, 'incoming', stateForError(error, serverState), described).catch(() => undefined);
    await this.mailboxes
      .recordFetch(mailbox.id, {
        lastFetchAt: now,
        failedRuns,
        failingSince: mailbox.failingSince ?? now,
        nextFetchAt: new Date(now.getTime() + backoffDelayMs(failedRuns, mailbox.incoming.fetchIntervalMinutes * 60_000)),
      })
      .catch(() => undefined);
  }
}

const ms = (value: number): number => Math.round(value);

interface PreparedEntry {
  fetched: FetchedMail;
  context: IntakeContext;
  result: PreparedMail | Error;
}

interface LoadedChunk {
  chunk: MailRef[];
  ignored: MailRef[];
  prepared: PreparedEntry[];
  loadMs: number;
}

/** The after-fetch action a committed mail owes, or null when there is nothing to do on the server. */
function actionFor(mailbox: Mailbox): string | null {
  return mailbox.incoming.afterFetch === 'keep' ? null : mailbox.incoming.afterFetch;
}
