import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDriver } from 'typeorm-pglite';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
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
  /**
   * PostgreSQL only: the longest a statement may run (or wait for a lock) before the server
   * cancels it. Null: no limit. (No idle-in-transaction limit: an OAuth2 token refresh waits
   * for the token endpoint inside its locking transaction, and ending that session could
   * lose a rotated refresh token the endpoint already issued.)
   */
  statementTimeoutMs?: number | null;
}

/** How long the pool waits for a free connection, or for a new one to open. */
const CONNECT_DEADLINE_MS = 5_000;

/** PostgreSQL's type oids of the parameters PGlite gets as bytes. */
const BYTEA = 17;
const TEXT = 25;
const VARCHAR = 1043;

/**
 * Strings longer than this reach PGlite as UTF-8 bytes. PGlite's protocol writer counts a
 * string's UTF-8 length one character at a time in JavaScript, twice per parameter: for a
 * mail's text and HTML that was a fifth of the main thread in an embedded import. Short
 * strings are cheaper as they are than as a Buffer.
 */
const LONG_TEXT_CHARS = 1024;

/**
 * Parameters PGlite sends in the binary format: a Uint8Array is passed on as is, and
 * PostgreSQL's binary form of bytea, text and varchar is the bytes themselves (UTF-8 here).
 * The stock bytea codec turned every byte into a string of its own (~77 ms for a mail with
 * an attachment), and even a hex string is twice the size and counted character by
 * character like any other string.
 */
export function byteaParameter(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return value;
}

export function textParameter(value: unknown): string | Buffer {
  // As PGlite's own text serializer: a Date as ISO 8601, anything else as its string.
  const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : String(value);
  return text.length > LONG_TEXT_CHARS ? Buffer.from(text, 'utf8') : text;
}

// PGlite's types say a serializer returns a string; its protocol writer sends any Uint8Array
// it is given in the binary format (the database tests store every byte value through it).
const BINARY_PARAMETERS = { [BYTEA]: byteaParameter, [TEXT]: textParameter, [VARCHAR]: textParameter } as unknown as Record<number, (value: unknown) => string>;

/** Results still come in the text format: bytea as `\x…` hex, decoded by Node's native codec. */
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
      extra: {
        max: settings.poolSize ?? 10,
        connectionTimeoutMillis: CONNECT_DEADLINE_MS,
        idleTimeoutMillis: 30_000,
        // A server that stops answering (a lock held elsewhere, an overloaded disk) cancels the
        // statement itself, so no unit of work waits on it for ever; keepalive probes an idle
        // connection after 10 s (the OS default is two hours), so a peer gone without a word
        // is noticed and the pool drops that connection.
        ...(settings.statementTimeoutMs ? { statement_timeout: settings.statementTimeoutMs } : {}),
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      },
    });
  }
  const dataDir = embeddedDataDir(settings.pgliteDir);
  return new DataSource({
    ...common,
    driver: new PGliteDriver({
      ...(dataDir ? { dataDir } : {}),
      startParams: PGLITE_START_PARAMS,
      serializers: BINARY_PARAMETERS,
      parsers: { [BYTEA]: byteaFromText },
    }).driver,
  });
}

/** Where the embedded database lives inside the data directory (null: in memory). */
export function embeddedDataDir(pgliteDir: string | null): string | null {
  return pgliteDir ? path.join(pgliteDir, 'pglite') : null;
}

/**
 * PGlite's start parameters with 32 MB of shared buffers instead of PostgreSQL's 128 MB:
 * they sit in the service's own memory (an idle embedded service: ~400 → ~270 MB RSS), and
 * the embedded database's files are cached by the OS anyway (a bulk import runs ~7% slower).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

/** initdb takes a few seconds; far beyond that something is wrong with the data directory. */
const CREATE_DEADLINE_MS = 120_000;

/**
 * Creates a new embedded database (PGlite's initdb) in a worker thread that then exits: the
 * WebAssembly memory initdb grows to (~500 MB) cannot be given back by the process that ran
 * it, so a first start would otherwise keep it for as long as the service runs. Does nothing
 * when the database exists.
 */
export async function createEmbeddedDatabase(dataDir: string): Promise<void> {
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  fs.mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(
    `const { PGlite } = require(${JSON.stringify(require.resolve('@electric-sql/pglite'))});
     const { workerData, parentPort } = require('node:worker_threads');
     PGlite.create({ dataDir: workerData.dataDir, startParams: workerData.startParams })
       .then((db) => db.close())
       .then(() => parentPort.postMessage('created'));`,
    { eval: true, workerData: { dataDir, startParams: PGLITE_START_PARAMS } },
  );
  await new Promise<void>((resolve, reject) => {
    let created = false;
    const timer = setTimeout(() => void worker.terminate(), CREATE_DEADLINE_MS);
    worker.once('message', () => {
      created = true;
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (created) resolve();
      else reject(new Error(`creating the embedded database in ${dataDir} failed or took over ${CREATE_DEADLINE_MS / 1000} s (worker exit code ${code})`));
    });
  });
}
