import { MigrationExecutor, type DataSource } from 'typeorm';
import { advisoryKey } from './database';

/**
 * Applies pending migrations at start. On PostgreSQL several instances may start at
 * once: a session-level advisory lock lets exactly one of them migrate while the others
 * wait, then find nothing left to do. Waiting for that lock and the migrations themselves
 * run without the pool's statement timeout: a migration of a big table may rightly take
 * longer than any everyday statement, and an instance must not give up on one in progress.
 */
export async function runMigrations(dataSource: DataSource, embedded: boolean): Promise<string[]> {
  if (embedded) return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = advisoryKey('deskmail:migrations');
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    return (await executor.executePendingMigrations()).map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    // Back to the pool's own limit (the connection's start-up value) before it goes back.
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}
