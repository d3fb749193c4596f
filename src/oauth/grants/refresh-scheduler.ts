import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { Database } from '../../core/database/database';
import { LOGGER } from '../../core/logging/logger';
import { OAuthTuning } from '../oauth-tuning';
import { OAuthGrant } from './oauth-grant.entity';
import { TokenRefresher } from './token-refresher';

/**
 * The daily refresh (design.md "Token lifecycle"): every grant is refreshed at least once per
 * `dailyRefreshAgeMs`, used or not, so refresh tokens never age out (Google drops tokens unused
 * for 6 months, Microsoft's live 90 days and are renewed by rotation). It runs where workers run
 * (DESKMAIL_WORKERS); several processes may run it at once: the refresher's lock and re-read
 * make the second one find the grant fresh. A failure is recorded on the grant at once, so the
 * mailbox shows it within one tick.
 */
@Injectable()
export class RefreshScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(Database) private readonly db: Database,
    private readonly refresher: TokenRefresher,
    private readonly tuning: OAuthTuning,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workersEnabled) this.start();
  }

  /** (Re)arms the timer with the current tuning; the first tick comes one interval from now. */
  start(): void {
    this.stopped = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A tick in progress re-arms the timer when it ends.
    if (!this.running) this.schedule();
  }

  /** Disarms the timer (a tick in progress finishes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  async onModuleDestroy(): Promise<void> {
    this.stop();
    this.refresher.stop();
    await this.running?.catch(() => undefined);
  }

  /** One pass: refreshes the grants due, oldest first. Returns how many it tried. */
  async tick(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.tuning.dailyRefreshAgeMs);
    const due = await this.db.run((em) =>
      em
        .createQueryBuilder(OAuthGrant, 'g')
        .select(['g.id'])
        .where('NOT g.needsReauthorization')
        .andWhere('g.refreshTokenSealed IS NOT NULL')
        .andWhere('COALESCE(g.lastRefreshAt, g.createdAt) <= :cutoff', { cutoff })
        .andWhere('(g.nextRetryAt IS NULL OR g.nextRetryAt <= :now)', { now })
        .orderBy('COALESCE(g.lastRefreshAt, g.createdAt)', 'ASC')
        .limit(this.tuning.schedulerBatch)
        .getMany(),
    );
    const queue = due.map((g) => g.id);
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id && !this.stopped; id = queue.shift()) {
        // Failures are recorded on the grant and in the mailbox log by the refresher.
        await this.refresher.refresh(id, { kind: 'daily' }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.tuning.schedulerConcurrency) }, worker));
    return due.length;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().catch((error: Error) => {
        this.logger.error({ err: error }, 'OAuth2 refresh scheduler tick failed');
        return 0;
      });
      void this.running.finally(() => {
        this.running = null;
        if (!this.stopped && !this.timer) this.schedule();
      });
    }, this.tuning.schedulerIntervalMs);
    this.timer.unref();
  }
}
