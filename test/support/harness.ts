import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { authCoordinates, startAuthServer } from './auth-server';
import { createTestCerts } from './certs';
import { mailUserPassword, startDovecot } from './dovecot';
import type { TestEnv } from './env';
import { adminUrl } from './postgres';
import { freePort } from './ports';
import { startSmtpReceiver } from './smtp-receiver';

export interface RunningTestEnvironment {
  env: TestEnv;
  envPath: string;
  /** Milliseconds per start step, for the runner's log. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts the servers shared by every test file of a run (once, in the runner process): the
 * authorization server, Dovecot and two SMTP receivers, and writes their coordinates to
 * `<dir>/env.json` for testEnv(). On a failed start everything already started is stopped.
 */
export async function startTestEnvironment(dir: string, runId: string): Promise<RunningTestEnvironment> {
  const stoppers: Array<() => Promise<void>> = [];
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await step();
    timings[name] = Date.now() - started;
    return result;
  };
  const stop = async () => {
    // Reverse order; one failing stop must not leave the others running.
    for (const stopOne of stoppers.reverse()) await stopOne().catch((error) => console.error('stop failed:', error));
  };

  try {
    const certs = await timed('certs', () => createTestCerts(join(dir, 'certs')));
    // Dovecot needs the introspection URL before the auth server is up: fix its port first.
    const authPort = await freePort();
    const [auth, dovecot] = await Promise.all([
      timed('auth', async () => {
        const server = await startAuthServer({ dir, port: authPort });
        stoppers.push(server.stop);
        return server;
      }),
      timed('dovecot', async () => {
        const planned = authCoordinates(`http://127.0.0.1:${authPort}`, [], 0);
        const { id, secret } = planned.clients.introspector;
        const server = await startDovecot({
          dir: join(dir, 'dovecot'),
          cert: certs.trusted,
          instanceName: `deskmail-test-${runId}`,
          oauth2: { introspectionUrl: planned.introspectionUrl, clientId: id, clientSecret: secret },
        });
        stoppers.push(server.stop);
        return server;
      }),
    ]);

    const receivedDir = join(dir, 'smtp-received');
    mkdirSync(receivedDir, { recursive: true });
    const receiverOptions = { tls: certs.trusted, auth, passwordOf: (user: string) => mailUserPassword(user, dovecot), storeDir: receivedDir };
    const [starttls, implicitTls] = await timed('smtp', () =>
      Promise.all([startSmtpReceiver({ ...receiverOptions, secure: false }), startSmtpReceiver({ ...receiverOptions, secure: true })]),
    );
    stoppers.push(starttls.stop, implicitTls.stop);

    // Only plain data goes to env.json: drop the handles of the running servers.
    const { stop: _authStop, pid: _authPid, logPath: _authLog, ...authEnv } = auth;
    const { stop: _dovecotStop, pid: _dovecotPid, ...dovecotEnv } = dovecot;
    const env: TestEnv = {
      runId,
      tmpDir: dir,
      caCert: certs.trusted.cert,
      trustedCert: certs.trusted,
      untrustedCert: certs.untrusted,
      dovecot: dovecotEnv,
      auth: authEnv,
      smtp: { host: '127.0.0.1', starttlsPort: starttls.port, tlsPort: implicitTls.port, caCert: certs.trusted.cert, receivedDir },
      pg: { adminUrl: adminUrl() },
    };
    const envPath = join(dir, 'env.json');
    writeFileSync(envPath, JSON.stringify(env, null, 2));
    return { env, envPath, timings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
