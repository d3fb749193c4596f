import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../../src/app.entities';
import { createDataSource } from '../../src/core/database/data-source.factory';
import { Database } from '../../src/core/database/database';
import { runMigrations } from '../../src/core/database/migrate';
import { createDatabase, dropDatabase } from './postgres';

/** A migrated Database of its own: a fresh PostgreSQL database, or an in-memory PGlite; `close` drops it. */
export async function openTestDatabase(kind: 'postgres' | 'embedded'): Promise<{ db: Database; close: () => Promise<void> }> {
  const url = kind === 'postgres' ? await createDatabase() : null;
  const dataSource = createDataSource({ databaseUrl: url, pgliteDir: null, entities: ENTITIES, migrations: MIGRATIONS });
  await dataSource.initialize();
  await runMigrations(dataSource, kind === 'embedded');
  const db = new Database(dataSource, kind === 'embedded');
  return {
    db,
    close: async () => {
      await dataSource.destroy();
      if (url) await dropDatabase(url);
    },
  };
}
