import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database';
import { Metrics } from '../../core/metrics/metrics';

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (Array.isArray(result) ? (result as Row[]) : []);

/**
 * Outbox instruments on /metrics. Depth and the oldest queued mail are read from the
 * database at scrape time (every process sees the whole shared queue); sends and retries are
 * counted by the process that made them.
 */
@Injectable()
export class OutboxMetrics {
  readonly sends;
  readonly retries;
  readonly sendDuration;

  constructor(@Inject(Metrics) metrics: Metrics, @Inject(Database) db: Database) {
    this.sends = metrics.counter('outbox_sends_total', 'Send attempts by server (primary, alternate, none when no server took it) and result', ['server', 'result']);
    this.retries = metrics.counter('outbox_retries_total', 'Mails put back in the queue for a later attempt, by error code', ['code']);
    this.sendDuration = metrics.histogram('outbox_send_duration_seconds', 'Duration of one send, connection included', ['result'], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60]);
    // Sent rows are history, not depth: counting them would scan a table that only grows.
    metrics.gauge('outbox_messages', 'Outbox depth: mails per status (queued, sending, failed)', ['status'], async function () {
      const rows = rowsOf(
        await db.run((em) => em.query(`SELECT status, count(*)::int AS n FROM outbox_message WHERE status IN ('queued', 'sending', 'failed') GROUP BY status`)),
      );
      for (const status of ['queued', 'sending', 'failed']) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    });
    metrics.gauge('outbox_oldest_queued_seconds', 'Age of the oldest mail not yet sent (queued or sending); 0 when the queue is empty', [], async function () {
      const rows = rowsOf(
        await db.run((em) =>
          em.query(`SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float AS age FROM outbox_message WHERE status IN ('queued', 'sending')`),
        ),
      );
      this.set(Number(rows[0]?.age ?? 0) || 0);
    });
  }
}
