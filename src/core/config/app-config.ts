import os from 'node:os';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated, typed configuration of one service process. */
export interface AppConfig {
  port: number;
  host: string;
  /** PostgreSQL URL; null means the embedded PGlite database under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  apiToken: string | null;
  secret: string | null;
  enableOAuthTokensApi: boolean;
  /** Public base URL of this service, used for default OAuth2 redirect URLs. */
  publicUrl: string | null;
  logLevel: LogLevel;
  /** Whether this process runs the fetch scheduler and the outbox sender (off for API-only replicas and some tests). */
  workersEnabled: boolean;
  /** Deadline to connect and greet, and for each protocol command, on every mail server. */
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** PostgreSQL: the longest one statement may run or wait for a lock (migrations excepted). */
  dbStatementTimeoutMs: number;
  /** How often the fetch scheduler looks for due mailboxes. */
  schedulerTickMs: number;
  /** How long a fetch lease outlives a crashed holder (a live holder renews it). */
  fetchLeaseMs: number;
  /** Fetch runs one process runs at once. */
  fetchConcurrency: number;
  /**
   * Worker threads that parse incoming mail (0: on the main thread). Default: one per core but
   * one, at least one: the main thread (network, database steps) and the database need a core
   * too. On 2 cores one worker fetched as fast as two (5,000 mails, IMAPS and POP3S) with
   * 45 MB less peak memory.
   */
  parseWorkers: number;
  /** Largest mail turned into a request; bigger mail goes to quarantine with its raw bytes. */
  maxMailBytes: number;
  /**
   * A mail or attachment larger than this goes to a temporary file (in TMPDIR, unlinked at
   * once) instead of memory on its way into the database.
   */
  spoolAboveBytes: number;
  /** How long /health reuses its computed warnings. */
  healthWarningsTtlMs: number;
  /** A mailbox failing longer than this shows on /health and in metrics. */
  failingAlertMinutes: number;
  /** How often the outbox sender looks for due mails when the queue is idle. */
  outboxTickMs: number;
  /** Sends one process runs at once (over all mailboxes). */
  outboxConcurrency: number;
  /** A mail a server keeps deferring (4xx, unreachable) fails after this many attempts. */
  outboxMaxAttempts: number;
  /** First retry delay; each further attempt doubles it (capped at one hour). */
  outboxRetryBaseMs: number;
  /** How long a claimed outbox row stays with its sender before another process may take it. */
  outboxLeaseMs: number;
  /** Days a sent mail's outbox row (its MIME) is kept; the request keeps the message itself. 0: for ever. */
  outboxKeepSentDays: number;
}

/** A bad environment value: the service stops with this one line. */
export class ConfigError extends Error {
  constructor(variable: string, expected: string, got: string | undefined) {
    super(`${variable}: expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const MIN_SECRET_LENGTH = 32;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  }
  return Number(raw);
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, '"true" or "false"', raw);
}

function databaseUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'a URL like postgres://user:password@host:5432/database', redactUrl(raw));
  }
  if (!['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname || url.pathname.length < 2) {
    throw new ConfigError('DATABASE_URL', 'a URL like postgres://user:password@host:5432/database', redactUrl(raw));
  }
  return raw;
}

/** Never echo a database password into a log line, even a broken one. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw.replace(/\/+$/, '');
  } catch {
    /* reported below */
  }
  throw new ConfigError(name, 'an http(s) URL such as https://helpdesk.example.com', raw);
}

/** Reads and validates the environment once, at start. Throws `ConfigError` naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const secret = env.DESKMAIL_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('DESKMAIL_SECRET', `at least ${MIN_SECRET_LENGTH} characters`, `${secret.length} characters`);
  }
  const apiToken = env.DESKMAIL_API_TOKEN;
  if (apiToken !== undefined && apiToken !== '' && apiToken.length < 16) {
    throw new ConfigError('DESKMAIL_API_TOKEN', 'at least 16 characters', `${apiToken.length} characters`);
  }
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, env.LOG_LEVEL);
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(env.DATA_DIR?.trim() || './data'),
    apiToken: apiToken || null,
    secret: secret || null,
    enableOAuthTokensApi: boolean(env, 'DESKMAIL_ENABLE_OAUTH_TOKENS_API', false),
    publicUrl: httpUrl(env, 'DESKMAIL_PUBLIC_URL'),
    logLevel,
    workersEnabled: boolean(env, 'DESKMAIL_WORKERS', true),
    connectTimeoutMs: integer(env, 'DESKMAIL_CONNECT_TIMEOUT_MS', 15_000, 100, 300_000),
    commandTimeoutMs: integer(env, 'DESKMAIL_COMMAND_TIMEOUT_MS', 30_000, 100, 600_000),
    dbStatementTimeoutMs: integer(env, 'DESKMAIL_DB_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    schedulerTickMs: integer(env, 'DESKMAIL_SCHEDULER_TICK_MS', 5_000, 50, 600_000),
    fetchLeaseMs: integer(env, 'DESKMAIL_FETCH_LEASE_MS', 120_000, 1_000, 3_600_000),
    fetchConcurrency: integer(env, 'DESKMAIL_FETCH_CONCURRENCY', 4, 1, 64),
    parseWorkers: integer(env, 'DESKMAIL_PARSE_WORKERS', Math.max(1, os.availableParallelism() - 1), 0, 64),
    maxMailBytes: integer(env, 'DESKMAIL_MAX_MAIL_MB', 25, 1, 1024) * 1024 * 1024,
    spoolAboveBytes: integer(env, 'DESKMAIL_SPOOL_ABOVE_KB', 4096, 1, 1024 * 1024) * 1024,
    healthWarningsTtlMs: integer(env, 'DESKMAIL_HEALTH_WARNINGS_TTL_MS', 10_000, 0, 3_600_000),
    failingAlertMinutes: integer(env, 'DESKMAIL_FAILING_ALERT_MINUTES', 60, 1, 10080),
    outboxTickMs: integer(env, 'DESKMAIL_OUTBOX_TICK_MS', 5_000, 50, 600_000),
    outboxConcurrency: integer(env, 'DESKMAIL_OUTBOX_CONCURRENCY', 4, 1, 64),
    outboxMaxAttempts: integer(env, 'DESKMAIL_OUTBOX_MAX_ATTEMPTS', 10, 1, 100),
    outboxRetryBaseMs: integer(env, 'DESKMAIL_OUTBOX_RETRY_BASE_MS', 60_000, 100, 3_600_000),
    outboxLeaseMs: integer(env, 'DESKMAIL_OUTBOX_LEASE_MS', 120_000, 1_000, 3_600_000),
    outboxKeepSentDays: integer(env, 'DESKMAIL_OUTBOX_KEEP_SENT_DAYS', 30, 0, 3650),
  };
}

/** Nest injection token for `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
