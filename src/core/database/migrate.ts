import type { DataSource } from 'typeorm';
import { advisoryKey } from './database';

/**
 * Applies pending migrations at start. On PostgreSQL several instances may start at
 * once: a session-level advisory lock lets exactly one of them migrate while the others
 * wait, then find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource, embedded: boolean): Promise<string[]> {
  if (embedded) return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = advisoryKey('deskmail:migrations');
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await runner.release();
  }
}
