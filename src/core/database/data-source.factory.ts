import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import path from 'node:path';
import { SnakeNamingStrategy } from './snake-naming.strategy';

// Entity classes are constructors of any shape; TypeORM's own option type says the same.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationList = MixedList<Function | string>;

export interface DataSourceSettings {
  /** PostgreSQL URL; null: embedded PGlite in `pgliteDir` (null there too: in memory). */
  databaseUrl: string | null;
  pgliteDir: string | null;
  entities: EntityList;
  migrations: MigrationList;
  /** Connections per process on PostgreSQL. */
  poolSize?: number;
}

/** PostgreSQL's type oid of bytea. */
const BYTEA = 17;

/**
 * PGlite's stock bytea codec turns every byte into a string of its own (Array.from(...).map
 * → join; parseInt per byte back): ~77 ms for a mail with an attachment. Node's native hex
 * codec does the same text format (`\x…`, PostgreSQL's hex bytea) in a fraction of that.
 */
export function byteaToText(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

export function byteaFromText(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}

/**
 * One DataSource per process, the SAME entities and migrations on both backends.
 * `synchronize` is never on: the schema only changes through committed migrations.
 */
export function createDataSource(settings: DataSourceSettings): DataSource {
  const common = {
    type: 'postgres' as const,
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // PGlite has no uuid-ossp; with pgcrypto TypeORM uses the built-in gen_random_uuid().
    // installExtensions:false keeps TypeORM from a CREATE EXTENSION that crashes on PGlite (test-env.md §6).
    installExtensions: false,
    uuidExtension: 'pgcrypto' as const,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
  };
  if (settings.databaseUrl) {
    return new DataSource({
      ...common,
      url: settings.databaseUrl,
      extra: { max: settings.poolSize ?? 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 },
    });
  }
  const dataDir = settings.pgliteDir ? path.join(settings.pgliteDir, 'pglite') : undefined;
  return new DataSource({
    ...common,
    driver: new PGliteDriver({ ...(dataDir ? { dataDir } : {}), serializers: { [BYTEA]: byteaToText }, parsers: { [BYTEA]: byteaFromText } }).driver,
  });
}
