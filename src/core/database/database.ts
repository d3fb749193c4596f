import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { asDatabaseError } from './database-errors';
import { Mutex } from './mutex';

/**
 * The one way the service touches the database.
 *
 * PGlite is ONE session without isolation (test-env.md §6): a rollback of one
 * transaction undoes every statement that ran meanwhile, from anyone. So on the embedded
 * database every unit of work (transaction or not) runs alone, behind a queue. Nested
 * calls from inside a unit of work reuse its EntityManager instead of queueing behind
 * themselves. On PostgreSQL units of work run concurrently on the pool.
 *
 * A database that does not answer in time (the pool's statement timeout) or cannot be
 * reached comes out of every unit of work as a DatabaseUnavailableError: callers tell it
 * from a problem with what they wrote (a 503 and a retry later, not a quarantine row).
 */
export class Database {
  private readonly queue = new Mutex();
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(
    readonly dataSource: DataSource,
    /** True on the embedded PGlite database. */
    readonly embedded: boolean,
    /** PostgreSQL's statement_timeout on the pool (createDataSource), named in timeout errors. */
    private readonly statementTimeoutMs: number | null = null,
  ) {}

  /** A unit of work in one transaction: everything commits or nothing does. */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const outer = this.current.getStore();
    if (outer) {
      // Already inside a unit of work: a savepoint, so a failing inner part can be rolled back alone.
      return this.classified(outer.transaction((em) => this.current.run(em, () => work(em))));
    }
    return this.classified(this.exclusive(() => this.dataSource.transaction((em) => this.current.run(em, () => work(em)))));
  }

  /** Statements outside a transaction (reads, single writes). */
  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const outer = this.current.getStore();
    if (outer) return this.classified(work(outer));
    return this.classified(this.exclusive(() => this.current.run(this.dataSource.manager, () => work(this.dataSource.manager))));
  }

  /**
   * A transaction holding a lock named `key` until it ends: across processes on
   * PostgreSQL (`pg_advisory_xact_lock`), and within this process on the embedded
   * database, where one process is all there is.
   */
  async transactionWithLock<T>(key: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.transaction(async (em) => {
      if (!this.embedded) await em.query('SELECT pg_advisory_xact_lock($1)', [advisoryKey(key)]);
      return work(em);
    });
  }

  private async classified<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw asDatabaseError(error, this.statementTimeoutMs);
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.embedded ? this.queue.runExclusive(work) : work();
  }
}

/** A stable signed 64-bit key for a lock name, as PostgreSQL's advisory locks want. */
export function advisoryKey(name: string): string {
  return crypto.createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
