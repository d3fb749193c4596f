import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../core/config/app-config';
import { Database } from '../core/database/database';
import { LOGGER } from '../core/logging/logger';
import { MailboxExtensions } from '../mailboxes/mailbox-extensions';
import { MailboxLogService } from '../mailboxes/mailbox-log.service';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import { describeError } from './side-state.mapping';
import { FetchScheduler } from './fetch.scheduler';
import { isWatchable } from './mail-source.port';
import { SourceConnector } from './source-connector';
import { SourceOptionsFactory } from './source-options.factory';

/** How often the set of `idle: true` mailboxes is re-read; reconnect delays after a dropped IDLE. */
const RECONCILE_MS = 30_000;
const RECONNECT_MIN_MS = 2_000;
const RECONNECT_MAX_MS = 60_000;

/**
 * Keeps one IMAP IDLE connection per mailbox with `idle: true` and makes the mailbox due
 * as soon as the server announces new mail; the scheduler's lease still decides who
 * fetches, so a duplicate watcher in another process costs nothing but a connection.
 * Polling every `fetchIntervalMinutes` goes on regardless: when IDLE drops, mail is late,
 * never lost.
 */
@Injectable()
export class IdleWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watchers = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly mailboxes: MailboxesService,
    private readonly extensions: MailboxExtensions,
    private readonly logs: MailboxLogService,
    private readonly scheduler: FetchScheduler,
    private readonly connector: SourceConnector,
    private readonly sourceOptions: SourceOptionsFactory,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.extensions.onChange((mailboxId) => {
      this.stop(mailboxId);
      void this.reconcile();
    });
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
    this.timer.unref();
    void this.reconcile();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    for (const id of [...this.watchers.keys()]) this.stop(id);
  }

  async reconcile(): Promise<void> {
    try {
      const rows: Array<{ id: string }> = await this.db.run((em) =>
        em.query(`SELECT id FROM mailbox WHERE (incoming->>'enabled')::boolean AND (incoming->>'idle')::boolean AND incoming->>'protocol' IN ('imap', 'imaps')`),
      );
      const wanted = new Set(rows.map((r) => r.id));
      for (const id of this.watchers.keys()) if (!wanted.has(id)) this.stop(id);
      for (const id of wanted) if (!this.watchers.has(id)) this.start(id);
    } catch (error) {
      this.logger.warn({ err: error }, 'IDLE reconcile failed');
    }
  }

  private start(mailboxId: string): void {
    const controller = new AbortController();
    this.watchers.set(mailboxId, controller);
    void this.watch(mailboxId, controller.signal).finally(() => {
      if (this.watchers.get(mailboxId) === controller) this.watchers.delete(mailboxId);
    });
  }

  private stop(mailboxId: string): void {
    this.watchers.get(mailboxId)?.abort();
    this.watchers.delete(mailboxId);
  }

  private async watch(mailboxId: string, signal: AbortSignal): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!signal.aborted) {
      try {
        const mailbox = await this.mailboxes.get(mailboxId);
        const { options } = this.sourceOptions.build(mailbox);
        const source = await this.connector.open(mailboxId, { ...options, transcript: undefined });
        try {
          if (!isWatchable(source)) return;
          delay = RECONNECT_MIN_MS;
          while (!signal.aborted) {
            const result = await source.waitForChange(signal);
            if (result === 'closed') break;
            await this.makeDue(mailboxId);
          }
        } finally {
          await source.close().catch(() => undefined);
        }
      } catch (error) {
        if (signal.aborted) return;
        const { code, message } = describeError(error);
        await this.logs.append(mailboxId, { level: 'warn', event: 'idle', side: 'incoming', message: `IDLE connection failed (${code}): ${message}; polling continues, retrying IDLE in ${Math.round(delay / 1000)} s` }).catch(() => undefined);
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  /** New mail: fetch now (through the lease, so never twice at once). */
  private async makeDue(mailboxId: string): Promise<void> {
    await this.db.run((em) => em.query(`UPDATE mailbox SET next_fetch_at = now() WHERE id = $1`, [mailboxId]));
    void this.scheduler.tick();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
