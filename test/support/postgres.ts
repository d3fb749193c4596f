import { Client } from 'pg';

import { uniqueId } from './tmp';

/**
 * Throwaway databases on the machine's PostgreSQL. Each test gets its own database, so tests can
 * run migrations and write freely while other test files run concurrently.
 */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const START_HINT = 'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** Every database of a run shares this prefix, so the runner can drop leftovers at the end. */
const DATABASE_PREFIX = 'deskmail_t_';

export function adminUrl(): string {
  return process.env.TEST_PG_URL ?? DEFAULT_ADMIN_URL;
}

/** Whether PostgreSQL answers at the admin URL; `message` says what failed and how to fix it. */
export async function pgAvailable(url = adminUrl()): Promise<{ ok: boolean; message: string }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SHOW server_version');
    return { ok: true, message: `PostgreSQL ${rows[0].version} at ${redact(url)}` };
  } catch (error) {
    return { ok: false, message: `PostgreSQL is not reachable at ${redact(url)} (${error.message}); ${START_HINT} (or set TEST_PG_URL)` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates an empty database with a unique name and returns its connection URL. */
export async function createDatabase(url = adminUrl()): Promise<string> {
  const runTag = (process.env.DESKMAIL_TEST_RUN_ID ?? 'adhoc').toLowerCase().replace(/[^a-z0-9]/g, '');
  const name = `${DATABASE_PREFIX}${runTag}_${uniqueId().toLowerCase()}`;
  await withAdmin(url, (client) => client.query(`CREATE DATABASE "${name}"`));
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return dbUrl.toString();
}

/** Drops a database made by createDatabase, disconnecting anyone still using it (PG 13+). */
export async function dropDatabase(dbUrl: string, url = adminUrl()): Promise<void> {
  const name = decodeURIComponent(new URL(dbUrl).pathname.slice(1));
  if (!name.startsWith(DATABASE_PREFIX)) throw new Error(`refusing to drop ${name}: not a test database`);
  await withAdmin(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Drops every database a run created (the runner calls this at the end). Returns how many. */
export async function dropRunDatabases(runId: string, url = adminUrl()): Promise<number> {
  const prefix = `${DATABASE_PREFIX}${runId.toLowerCase().replace(/[^a-z0-9]/g, '')}_`;
  return withAdmin(url, async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.length;
  });
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
