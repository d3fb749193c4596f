import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../core/database/database';
import { Metrics } from '../core/metrics/metrics';

/** Fetch instruments on /metrics; the per-mailbox gauges are read from the database at scrape time. */
@Injectable()
export class FetchMetrics {
  readonly runs;
  readonly runDuration;
  readonly mailsFetched;
  readonly errors;
  readonly schedulerLag;

  constructor(@Inject(Metrics) metrics: Metrics, @Inject(Database) db: Database) {
    this.runs = metrics.counter('fetch_runs_total', 'Fetch runs by protocol and result', ['protocol', 'result']);
    this.runDuration = metrics.histogram('fetch_run_duration_seconds', 'Duration of fetch runs', ['protocol'], [0.1, 0.5, 1, 2, 5, 15, 30, 60, 300]);
    this.mailsFetched = metrics.counter('mails_fetched_total', 'Mails downloaded from servers', ['protocol']);
    this.errors = metrics.counter('fetch_errors_total', 'Failed fetch runs by error code', ['code']);
    this.schedulerLag = metrics.gauge('scheduler_lag_seconds', 'How late the most overdue mailbox fetch is');
    metrics.gauge('mailbox_oldest_unacknowledged_seconds', 'Age of the oldest committed but unacknowledged mail, per mailbox', ['mailbox'], async function () {
      this.reset();
      const rows: Array<{ mailbox_id: string; age: number }> = await db.run((em) =>
        em.query(
          `SELECT mailbox_id, EXTRACT(EPOCH FROM now() - min(committed_at))::float AS age FROM ledger_entry
            WHERE acknowledged_at IS NULL AND action IS NOT NULL GROUP BY mailbox_id`,
        ),
      );
      for (const row of rows) this.set({ mailbox: row.mailbox_id }, Number(row.age));
    });
    metrics.gauge('mailbox_seconds_since_last_success', 'Seconds since the last successful fetch, per enabled mailbox', ['mailbox'], async function () {
      this.reset();
      const rows: Array<{ id: string; age: number | null }> = await db.run((em) =>
        em.query(`SELECT id, EXTRACT(EPOCH FROM now() - coalesce(last_success_at, created_at))::float AS age FROM mailbox WHERE (incoming->>'enabled')::boolean`),
      );
      for (const row of rows) this.set({ mailbox: row.id }, Number(row.age ?? 0));
    });
  }
}
