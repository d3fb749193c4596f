import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../core/config/app-config';
import { Database } from '../core/database/database';
import { HealthService } from '../core/health/health.service';
import { Metrics } from '../core/metrics/metrics';

/**
 * A mailbox that has failed for longer than DESKMAIL_FAILING_ALERT_MINUTES shows on
 * /health and as a metric, so an operator learns of it without reading mailbox logs.
 */
@Injectable()
export class FailingMailboxesHealth implements OnModuleInit {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(HealthService) private readonly health: HealthService,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const failing = () => this.failing();
    this.health.addWarningSource(async () =>
      (await failing()).map((m) => ({
        subject: `mailbox:${m.id}`,
        message: `mailbox "${m.name}" has failed to fetch since ${new Date(m.failing_since).toISOString()} (${m.incoming_state}): ${m.message ?? 'see its logs'}`,
      })),
    );
    this.metrics.gauge('mailboxes_failing', 'Enabled mailboxes failing for longer than the alert threshold', [], async function () {
      this.set((await failing()).length);
    });
  }

  private failing(): Promise<Array<{ id: string; name: string; failing_since: string; incoming_state: string; message: string | null }>> {
    return this.db.run((em) =>
      em.query(
        `SELECT id, name, failing_since, incoming_state, incoming_last_error->>'message' AS message FROM mailbox
          WHERE (incoming->>'enabled')::boolean AND failing_since IS NOT NULL AND failing_since < now() - ($1 || ' minutes')::interval
          ORDER BY failing_since`,
        [String(this.config.failingAlertMinutes)],
      ),
    );
  }
}
