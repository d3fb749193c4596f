import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import os from 'node:os';
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../core/config/app-config';
import { Database } from '../core/database/database';
import { ConflictError } from '../core/errors';
import { LOGGER } from '../core/logging/logger';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import { FetchMetrics } from './fetch.metrics';
import { FetchRunner, type FetchSummary } from './fetch-runner';


/**
 * Runs each enabled mailbox every `fetchIntervalMinutes`. Mailboxes are LEASED through the
 * database (`FOR UPDATE SKIP LOCKED`), so several processes on one PostgreSQL database split
 * them and never fetch one mailbox at once; a crashed holder's lease simply expires
 * (DESKMAIL_FETCH_LEASE_MS; a live holder renews it every third of that). A run
 * never overlaps itself; a slow mailbox holds one slot of `fetchConcurrency`, never the tick.
 */
@Injectable()
export class FetchScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly instanceId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly running = new Map<string, Promise<FetchSummary>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopping = false;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly runner: FetchRunner,
    private readonly mailboxes: MailboxesService,
    private readonly metrics: FetchMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.timer = setInterval(() => void this.tick(), this.config.schedulerTickMs);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled(this.running.values());
  }

  /** One look for due mailboxes; claims at most the free slots. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      const free = this.config.fetchConcurrency - this.running.size;
      if (free <= 0) return;
      const claimed = await this.claimDue(free);
      for (const id of claimed) this.start(id);
    } catch (error) {
      this.logger.error({ err: error }, 'fetch scheduler tick failed');
    } finally {
      this.ticking = false;
    }
  }

  /** "Fetch now": joins a run of this process, or takes the lease itself; 409 when another process holds it. */
  async fetchNow(mailboxId: string): Promise<FetchSummary> {
    await this.mailboxes.get(mailboxId);
    const current = this.running.get(mailboxId);
    if (current) return current;
    const claimed = await this.claimOne(mailboxId);
    if (!claimed) throw new ConflictError('a fetch of this mailbox is already running on another instance; try again in a moment');
    return this.start(mailboxId);
  }

  isRunning(mailboxId: string): boolean {
    return this.running.has(mailboxId);
  }

  private start(mailboxId: string): Promise<FetchSummary> {
    const heartbeat = setInterval(() => void this.renew(mailboxId), this.config.fetchLeaseMs / 3);
    heartbeat.unref();
    const run = this.runner.run(mailboxId).finally(async () => {
      clearInterval(heartbeat);
      this.running.delete(mailboxId);
      await this.release(mailboxId).catch((error) => this.logger.warn({ err: error, mailbox: mailboxId }, 'lease release failed'));
    });
    this.running.set(mailboxId, run);
    run.catch(() => undefined); // failures are recorded on the mailbox by the runner
    return run;
  }

  private async claimDue(limit: number): Promise<string[]> {
    const busy = [...this.running.keys()];
    const rows: Array<{ id: string; lag: number }> = await this.db.run((em) =>
      em.query(
        `UPDATE mailbox SET lease_owner = $1, lease_until = now() + ($2 || ' milliseconds')::interval
          WHERE id IN (
            SELECT id FROM mailbox
             WHERE (incoming->>'enabled')::boolean AND next_fetch_at <= now()
               AND (lease_until IS NULL OR lease_until < now())
               AND NOT (id = ANY($4::uuid[]))
             ORDER BY next_fetch_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING id, EXTRACT(EPOCH FROM now() - next_fetch_at)::float AS lag`,
        [this.instanceId, String(this.config.fetchLeaseMs), limit, busy],
      ),
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as typeof rows) : rows;
    this.metrics.schedulerLag.set(list.reduce((max, r) => Math.max(max, Number(r.lag) || 0), 0));
    return list.map((r) => r.id);
  }

  private async claimOne(mailboxId: string): Promise<boolean> {
    const rows = await this.db.run((em) =>
      em.query(
        `UPDATE mailbox SET lease_owner = $1, lease_until = now() + ($2 || ' milliseconds')::interval
          WHERE id = $3 AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1) RETURNING id`,
        [this.instanceId, String(this.config.fetchLeaseMs), mailboxId],
      ),
    );
    const list = Array.isArray(rows[0]) ? rows[0] : rows;
    return list.length > 0;
  }

  private async renew(mailboxId: string): Promise<void> {
    await this.db.run((em) =>
      em.query(`UPDATE mailbox SET lease_until = now() + ($2 || ' milliseconds')::interval WHERE id = $3 AND lease_owner = $1`, [this.instanceId, String(this.config.fetchLeaseMs), mailboxId]),
    );
  }

  private async release(mailboxId: string): Promise<void> {
    await this.db.run((em) => em.query(`UPDATE mailbox SET lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $1`, [this.instanceId, mailboxId]));
  }
}
