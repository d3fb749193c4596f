import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { Database } from '../../core/database/database';
import { LOGGER } from '../../core/logging/logger';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { LastError } from '../../mailboxes/mailbox.types';
import type { SendResult } from '../mail-transport.port';
import { ConcurrencyLimit } from './concurrency-limit';
import { OutboxClaimer, type ClaimedMail } from './outbox-claimer';
import { OutboxDelivery } from './outbox-delivery';
import { OutboxService } from './outbox.service';
import { retryDelayMs } from './retry-policy';

/**
 * Rows claimed per round, per unit of concurrency: each slot then sends ~25 mails over one
 * SMTP session (the transport keeps it for the round), few enough to hand back fast.
 */
const ROWS_PER_SLOT = 25;

/** How often a process forgets sent mail past DESKMAIL_OUTBOX_KEEP_SENT_DAYS (several processes doing it is harmless). */
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Sends the outbox. Each round claims due rows (OutboxClaimer: SKIP LOCKED + lease), groups
 * them by mailbox, and sends each group through one transport of that mailbox, at most
 * `outboxConcurrency` sends at once for the whole process. A full round is followed by the
 * next one at once, so a backlog drains without waiting for the tick. While it holds rows the
 * process renews their lease every third of it; a process that dies simply stops renewing.
 *
 * Runs only where `workersEnabled`; any process can still send a test mail (`sendNow`).
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private holders = 0;
  private round: Promise<void> | null = null;
  private stopping = false;
  private prunedAt = 0;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly claimer: OutboxClaimer,
    private readonly delivery: OutboxDelivery,
    private readonly outbox: OutboxService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workersEnabled) this.start();
  }

  /** Starts the worker (bootstrap does it when workers are enabled; benchmarks call it themselves). */
  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => void this.tick(), this.config.outboxTickMs);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
  }

  /** One look at the queue; drains it round after round while rounds come back full. */
  tick(): Promise<void> {
    if (this.round || this.stopping) return this.round ?? Promise.resolve();
    this.round = this.drain()
      .catch((error) => this.logger.error({ err: error }, 'outbox round failed'))
      .finally(() => (this.round = null));
    return this.round;
  }

  /**
   * Sends one mail this process has just enqueued already claimed (a test mail), now, through
   * the same bookkeeping as the worker. Throws the transport's error after recording it.
   */
  async sendNow(id: string): Promise<SendResult> {
    return this.holding(async () => {
      const mail = await this.claimer.claimed(id);
      if (!mail) throw new Error(`outbox message ${id} is not held by this process`);
      const mailbox = await this.db.run((em) => em.findOneBy(Mailbox, { id: mail.mailboxId }));
      if (!mailbox) throw new Error(`mailbox ${mail.mailboxId} vanished`);
      const session = this.delivery.openSession(mailbox);
      try {
        const outcome = await this.delivery.attempt(mail, session);
        if (!outcome.ok) throw outcome.error;
        return outcome.result;
      } finally {
        await session.close();
      }
    });
  }

  private async drain(): Promise<void> {
    await this.pruneSent();
    const batchSize = this.config.outboxConcurrency * ROWS_PER_SLOT;
    while (!this.stopping) {
      const claimed = await this.holding(async () => {
        const rows = await this.claimer.claimDue(batchSize);
        if (rows.length) await this.deliverRound(rows);
        return rows.length;
      });
      if (claimed < batchSize) return;
    }
  }

  /** Sent mail past its retention, at most hourly; a failure is logged and tried again next hour. */
  private async pruneSent(): Promise<void> {
    if (this.config.outboxKeepSentDays <= 0 || Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    try {
      const pruned = await this.outbox.pruneSent(this.config.outboxKeepSentDays);
      if (pruned > 0) this.logger.info({ pruned, keepDays: this.config.outboxKeepSentDays }, 'sent mail past its retention removed from the outbox');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not prune sent mail from the outbox');
    }
  }

  private async deliverRound(rows: ClaimedMail[]): Promise<void> {
    const limit = new ConcurrencyLimit(this.config.outboxConcurrency);
    const groups = new Map<string, ClaimedMail[]>();
    for (const row of rows) {
      const group = groups.get(row.mailboxId);
      if (group) group.push(row);
      else groups.set(row.mailboxId, [row]);
    }
    await Promise.all([...groups].map(([mailboxId, mails]) => this.deliverGroup(mailboxId, mails, limit)));
  }

  /** One mailbox's mails of this round, over one transport; the first mailbox-wide failure puts the rest back untried. */
  private async deliverGroup(mailboxId: string, mails: ClaimedMail[], limit: ConcurrencyLimit): Promise<void> {
    try {
      const mailbox = await this.db.run((em) => em.findOneBy(Mailbox, { id: mailboxId }));
      if (!mailbox?.outgoing) return await this.failAll(mails, mailbox ? 'the mailbox has no outgoing settings any more' : 'the mailbox was deleted');
      const session = this.delivery.openSession(mailbox);
      const queue = [...mails];
      let halt: { delayMs: number; error: LastError | null } | null = null;
      const lane = async (): Promise<void> => {
        for (let mail = queue.shift(); mail; mail = queue.shift()) {
          const current = mail;
          await limit
            .run(async () => {
              const stop = halt ?? (this.stopping ? { delayMs: 0, error: null } : null);
              if (stop) return this.delivery.putBack(current, stop.delayMs, stop.error);
              const outcome = await this.delivery.attempt(current, session);
              if (!outcome.ok && outcome.decision.mailboxWide && !halt) {
                // The others wait as long as this one (or one base delay when this one just gave up).
                const delayMs = outcome.decision.status === 'queued' ? outcome.decision.delayMs : retryDelayMs(1, this.config.outboxRetryBaseMs);
                halt = { delayMs, error: this.delivery.lastError(outcome.error) };
              }
            })
            // A lane never stops the others (they share the session); the row comes back after its lease.
            .catch((error) => this.logger.error({ err: error, outbox: current.id }, 'outbox bookkeeping failed'));
        }
      };
      // A debug transcript is only readable from one session at a time.
      const lanes = mailbox.outgoing.debug ? 1 : Math.min(this.config.outboxConcurrency, mails.length);
      try {
        await Promise.all(Array.from({ length: lanes }, lane));
      } finally {
        await session.close();
      }
    } catch (error) {
      // Rows left `sending` come back when their lease runs out; nothing is lost.
      this.logger.error({ err: error, mailbox: mailboxId }, 'outbox round for a mailbox failed');
    }
  }

  private async failAll(mails: ClaimedMail[], reason: string): Promise<void> {
    const error: LastError = { code: 'PROTOCOL_ERROR', message: reason, at: new Date().toISOString() };
    for (const mail of mails) await this.claimer.markFailed(mail.id, error, null);
  }

  /** Runs `work` while renewing the leases this process holds. */
  private async holding<T>(work: () => Promise<T>): Promise<T> {
    if (this.holders++ === 0) {
      this.heartbeat = setInterval(
        () => void this.claimer.renewLeases().catch((error) => this.logger.warn({ err: error }, 'outbox lease renewal failed')),
        Math.max(250, Math.floor(this.claimer.leaseMs / 3)),
      );
      this.heartbeat.unref();
    }
    try {
      return await work();
    } finally {
      if (--this.holders === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    }
  }
}

