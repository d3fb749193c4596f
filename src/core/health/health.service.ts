import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Database } from '../database/database';

export interface HealthWarning {
  /** What the warning is about, e.g. `oauth2App:<id>` or `mailbox:<id>`. */
  subject: string;
  message: string;
}

/** A module that has something an operator must see on /health registers one of these. */
export type WarningSource = () => Promise<HealthWarning[]>;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  database: 'up' | 'down';
  databaseKind: 'postgresql' | 'embedded';
  version: string;
  uptimeSeconds: number;
  warnings: HealthWarning[];
  error?: string;
}

const DATABASE_CHECK_MS = 3_000;


@Injectable()
export class HealthService {
  private readonly sources: WarningSource[] = [];
  private readonly startedAt = Date.now();
  private warnings: { at: number; value: Promise<HealthWarning[]> } | null = null;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  addWarningSource(source: WarningSource): void {
    this.sources.push(source);
  }

  async report(): Promise<HealthReport> {
    const databaseError = await this.checkDatabase();
    const base = {
      databaseKind: this.db.embedded ? ('embedded' as const) : ('postgresql' as const),
      version: process.env.npm_package_version ?? '0.1.0',
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
    if (databaseError) {
      return { status: 'down', database: 'down', ...base, warnings: [], error: `database: ${databaseError}` };
    }
    const warnings = await this.currentWarnings();
    return { status: warnings.length ? 'degraded' : 'ok', database: 'up', ...base, warnings };
  }

  private currentWarnings(): Promise<HealthWarning[]> {
    // Warnings take a few queries, and load balancers probe /health every few seconds from
    // every node: they are recomputed at most every DESKMAIL_HEALTH_WARNINGS_TTL_MS, so most
    // probes cost one `SELECT 1`.
    if (!this.warnings || Date.now() - this.warnings.at >= this.config.healthWarningsTtlMs) {
      const value = Promise.all(this.sources.map((source) => source().catch(() => []))).then((lists) => lists.flat());
      this.warnings = { at: Date.now(), value };
    }
    return this.warnings.value;
  }

  /** Null when the database answers `SELECT 1` within the deadline, else why not. */
  private async checkDatabase(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${DATABASE_CHECK_MS / 1000} s`), DATABASE_CHECK_MS);
    });
    const probe = this.db
      .run((em) => em.query('SELECT 1'))
      .then(() => null)
      .catch((error: Error) => error.message || String(error));
    try {
      return await Promise.race([probe, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
