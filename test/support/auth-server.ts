import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import type { AuthCoordinates } from './env';
import { freePort } from './ports';

// Token helpers (authorize flow, refresh, revoke, introspect, stats) work from any test process.
export * from './oauth-client';

export interface AuthServerOptions {
  /** Receives the server's log (auth-server.log). */
  dir: string;
  port?: number;
  /** Redirect URIs of the static clients; as loopback native URIs their port is ignored. */
  redirectUris?: string[];
  /** Access-token lifetime of the `nativeShort` client, seconds (default 5). */
  shortAccessTokenTtl?: number;
  startTimeoutMs?: number;
}

export interface AuthServer extends AuthCoordinates {
  pid: number;
  logPath: string;
  stop(): Promise<void>;
}

const DEFAULT_REDIRECT_URIS = [
  'http://127.0.0.1/callback',
  'http://127.0.0.1/oauth/callback',
  'http://127.0.0.1/api/oauth/callback',
  'http://localhost/callback',
  'http://localhost/oauth/callback',
  'http://localhost/api/oauth/callback',
];

const STATIC_CLIENTS: AuthCoordinates['clients'] = {
  native: { id: 'deskmail-native' },
  nativeShort: { id: 'deskmail-native-short' },
  confidentialPost: { id: 'deskmail-confidential-post', secret: 'post-secret-0123456789' },
  confidentialBasic: { id: 'deskmail-confidential-basic', secret: 'basic-secret-0123456789' },
  introspector: { id: 'deskmail-introspector', secret: 'introspector-secret-0123456789' },
};

/**
 * Starts test/support/auth-server.mjs (oidc-provider, ESM-only) as a child process and resolves
 * when it prints READY. The child also exits when our end of its stdin closes, so a crashed test
 * run cannot leave it behind.
 */
export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const port = options.port ?? (await freePort());
  const redirectUris = options.redirectUris ?? DEFAULT_REDIRECT_URIS;
  const shortAccessTokenTtl = options.shortAccessTokenTtl ?? 5;
  const config = { host: '127.0.0.1', port, redirectUris, shortAccessTokenTtl, clients: flattenClients() };

  const logPath = join(options.dir, 'auth-server.log');
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [authServerScript(), JSON.stringify(config)], { stdio: ['pipe', 'pipe', log] });
  closeSync(log);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no READY within the start timeout')), options.startTimeoutMs ?? 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        done();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`auth server exited with code ${code}`));
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw new Error(`test authorization server did not start: ${error.message}\n${readTail(logPath)}`);
  }
  return { ...authCoordinates(`http://127.0.0.1:${port}`, redirectUris, shortAccessTokenTtl), pid: child.pid ?? 0, logPath, stop };
}

/** Endpoint URLs as oidc-provider mounts them by default. */
export function authCoordinates(issuer: string, redirectUris: string[], shortAccessTokenTtl: number): AuthCoordinates {
  return {
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    introspectionUrl: `${issuer}/token/introspection`,
    revocationUrl: `${issuer}/token/revocation`,
    registrationUrl: `${issuer}/reg`,
    statsUrl: `${issuer}/test/stats`,
    statsResetUrl: `${issuer}/test/stats/reset`,
    faultsUrl: `${issuer}/test/faults`,
    redirectUris,
    shortAccessTokenTtl,
    clients: STATIC_CLIENTS,
  };
}

function flattenClients() {
  const c = STATIC_CLIENTS;
  return {
    native: c.native.id,
    nativeShort: c.nativeShort.id,
    confidentialPost: c.confidentialPost,
    confidentialBasic: c.confidentialBasic,
    introspector: c.introspector,
  };
}

/** The .mjs is not compiled: find it next to us (source run) or in test/support (dist run). */
function authServerScript(): string {
  const candidates = [join(__dirname, 'auth-server.mjs'), resolve(__dirname, '..', '..', '..', 'test', 'support', 'auth-server.mjs')];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`auth-server.mjs not found (looked in ${candidates.join(', ')})`);
  return found;
}

function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}
