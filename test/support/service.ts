import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startService, type RunningService } from '../../src/bootstrap';
import { createDatabase, dropDatabase } from './postgres';
import { makeTempDir, removeDir } from './tmp';

/**
 * The service under test, booted exactly as production boots it (src/bootstrap.ts), on a
 * fresh PostgreSQL database or a fresh embedded data directory, with an HTTP client that
 * carries the API token and a capture of every log line.
 */
export const TEST_API_TOKEN = 'test-api-token-0123456789abcdef';
export const TEST_SECRET = 'test-secret-0123456789abcdef-0123456789';

export interface ServiceUnderTest {
  service: RunningService;
  url: string;
  env: NodeJS.ProcessEnv;
  /** Every JSON log line the service wrote. */
  logs: string[];
  api: ApiClient;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** 'postgres' (default): a fresh database; 'embedded': PGlite in a fresh data dir (or `dataDir`). */
  database?: 'postgres' | 'embedded';
  databaseUrl?: string;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep the database / data dir after close (for restart tests). */
  keep?: boolean;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<ServiceUnderTest> {
  const embedded = options.database === 'embedded';
  const ownDatabase = !embedded && !options.databaseUrl;
  const databaseUrl = embedded ? '' : (options.databaseUrl ?? (await createDatabase()));
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? makeTempDir('deskmail-data-');
  const env: NodeJS.ProcessEnv = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    DESKMAIL_API_TOKEN: TEST_API_TOKEN,
    DESKMAIL_SECRET: TEST_SECRET,
    DESKMAIL_WORKERS: 'false',
    // Tests look at /health right after what should change it.
    DESKMAIL_HEALTH_WARNINGS_TTL_MS: '0',
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const service = await startService({ env, logDestination: sink });
  const url = service.url;
  return {
    service,
    url,
    env,
    logs,
    api: new ApiClient(url, env.DESKMAIL_API_TOKEN ?? service.apiToken),
    async close() {
      await service.close();
      if (options.keep) return;
      if (ownDatabase && databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
      if (ownDataDir) removeDir(dataDir);
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for the service's HTTP API. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  withToken(token: string | null): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.request('GET', path);
  }
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request('POST', path, body);
  }
  put<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request('PUT', path, body);
  }
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request('PATCH', path, body);
  }
  delete<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.request('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}

/** The built entry point, for tests that need a separate process (restarts, kill -9, two instances). */
export const MAIN_JS = path.resolve(__dirname, '../../src/main.js');

export interface ServiceProcess {
  child: ChildProcess;
  url: Promise<string>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node [nodeArgs] dist/src/main.js` with `env`; `url` resolves once it prints where it listens. */
/**
 * The allocator settings `npm start` gives the service (README, "Memory"), read from its
 * script (`NAME=${NAME:-value}`), so a spawned service starts as the shipped one does.
 */
export const SHIPPED_MALLOC_ENV: Record<string, string> = Object.fromEntries(
  [...(JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')).scripts.start as string).matchAll(/\b(MALLOC_\w+)=\$\{\1:-([^}]+)\}/g)].map((m) => [m[1], m[2]]),
);

export function spawnService(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], { env: { PATH: process.env.PATH, ...SHIPPED_MALLOC_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`service exited (${code}) before listening:\n${output}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    url,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
