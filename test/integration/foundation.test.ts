import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createDatabase, dropDatabase } from '../support/postgres';
import { spawnService, startTestService, TEST_API_TOKEN } from '../support/service';
import { makeTempDir, removeDir } from '../support/tmp';

const mailbox = {
  name: 'Support',
  emailAddresses: ['support@example.test'],
  incoming: { protocol: 'imaps', authType: 'password', host: 'imap.example.test', username: 'support@example.test', password: 'hunter2-imap' },
};

for (const database of ['embedded', 'postgres'] as const) {
  describe(`the service on ${database === 'embedded' ? 'the embedded PGlite database' : 'PostgreSQL'}`, () => {
    it('applies the migrations on start and keeps all data across a restart', async () => {
      const dataDir = makeTempDir('deskmail-data-');
      const databaseUrl = database === 'postgres' ? await createDatabase() : undefined;
      try {
        const first = await startTestService({ database, dataDir, databaseUrl, keep: true });
        const created = await first.api.post('/v1/mailboxes', mailbox);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        await first.close();

        const second = await startTestService({ database, dataDir, databaseUrl, keep: true });
        const fetched = await second.api.get(`/v1/mailboxes/${created.body.id}`);
        assert.equal(fetched.status, 200);
        assert.equal(fetched.body.name, 'Support');
        assert.equal(fetched.body.incoming.passwordSet, true);
        const health = await second.api.get('/health');
        assert.equal(health.body.databaseKind, database === 'postgres' ? 'postgresql' : 'embedded');
        await second.close();
      } finally {
        removeDir(dataDir);
        if (databaseUrl) await dropDatabase(databaseUrl);
      }
    });
  });
}

describe('configuration from the environment', () => {
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT: expected a whole number from 0 to 65535, got "abc"$/],
    [{ DATABASE_URL: 'postgres//nohost' }, /^DATABASE_URL: expected a URL like postgres:\/\//],
    [{ DESKMAIL_SECRET: 'too-short' }, /^DESKMAIL_SECRET: expected at least 32 characters/],
  ];
  for (const [env, message] of refused) {
    it(`stops with one line naming ${Object.keys(env)[0]} when it is bad`, async () => {
      const dataDir = makeTempDir('deskmail-data-');
      try {
        const service = spawnService({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...env });
        const code = await service.stop('SIGCONT');
        assert.equal(code, 1);
        const lines = service.output().trim().split('\n');
        assert.equal(lines.length, 1, service.output());
        assert.match(lines[0], message);
      } finally {
        removeDir(dataDir);
      }
    });
  }

  it('starts with no configuration at all: prints the URL, a generated API token once, and where the data lives', async () => {
    const dataDir = makeTempDir('deskmail-data-');
    try {
      const first = spawnService({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      const url = await first.url;
      await waitFor(() => /API token: (\S+)/.test(first.output()));
      const token = /API token: (\S+)/.exec(first.output())![1];
      assert.match(first.output(), new RegExp(`data dir:\\s+${dataDir}`));
      const tokenFile = path.join(dataDir, 'api-token');
      const keyFile = path.join(dataDir, 'secret.key');
      assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(tokenFile, 'utf8').trim(), token);
      const ok = await fetch(`${url}/v1/mailboxes`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      await first.stop();

      const second = spawnService({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      await second.url;
      await waitFor(() => /API token:/.test(second.output()));
      assert.ok(!second.output().includes(token), 'the token is printed only when it is generated');
      await second.stop();
    } finally {
      removeDir(dataDir);
    }
  });
});

describe('API authentication', () => {
  it('answers 401 without a token or with a wrong one, and serves /health, /docs without', async () => {
    const sut = await startTestService({ database: 'embedded' });
    try {
      const missing = await sut.api.withToken(null).get('/v1/mailboxes');
      assert.equal(missing.status, 401);
      assert.deepEqual(Object.keys(missing.body).sort(), ['error', 'message', 'statusCode']);
      assert.equal((await sut.api.withToken('wrong-token').get('/v1/mailboxes')).status, 401);
      assert.equal((await sut.api.withToken(TEST_API_TOKEN + 'x').get('/v1/mailboxes')).status, 401);
      assert.equal((await sut.api.withToken(null).get('/metrics')).status, 401);
      assert.equal((await sut.api.get('/v1/mailboxes')).status, 200);
      assert.equal((await sut.api.withToken(null).get('/health')).status, 200);
      assert.equal((await sut.api.withToken(null).get('/docs')).status, 200);
    } finally {
      await sut.close();
    }
  });
});

describe('service endpoints', () => {
  it('publishes an OpenAPI 3 document that names every route', async () => {
    const sut = await startTestService({ database: 'embedded' });
    try {
      const docs = await sut.api.withToken(null).get('/docs-json');
      assert.equal(docs.status, 200);
      assert.match(docs.body.openapi, /^3\./);
      for (const route of ['/health', '/metrics', '/v1/mailboxes', '/v1/mailboxes/{id}', '/v1/mailboxes/{id}/logs']) {
        assert.ok(docs.body.paths[route], `${route} is documented`);
      }
      assert.ok(docs.body.components.securitySchemes.bearer);
      assert.ok(docs.body.components.schemas.CreateMailboxDto.properties.incoming);
    } finally {
      await sut.close();
    }
  });

  it('serves Prometheus metrics behind the token', async () => {
    const sut = await startTestService({ database: 'embedded' });
    try {
      const metrics = await sut.api.get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(String(metrics.body), /deskmail_process_cpu_user_seconds_total/);
    } finally {
      await sut.close();
    }
  });

  it('answers /health 503 while PostgreSQL is unreachable, and 200 again when it is back', async () => {
    const databaseUrl = await createDatabase();
    const proxy = await startTcpProxy(new URL(databaseUrl).port ? Number(new URL(databaseUrl).port) : 5432);
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    const sut = await startTestService({ databaseUrl: proxied.toString(), keep: true });
    try {
      assert.equal((await sut.api.get('/health')).status, 200);
      proxy.cutAll();
      const down = await sut.api.get('/health');
      assert.equal(down.status, 503);
      assert.equal(down.body.database, 'down');
      assert.equal(down.body.status, 'down');
      proxy.resume();
      await waitFor(async () => (await sut.api.get('/health')).status === 200, 15_000);
    } finally {
      proxy.resume();
      await sut.close();
      await proxy.close();
      await dropDatabase(databaseUrl);
    }
  });
});

describe('input validation', () => {
  it('rejects unknown fields and names the broken field, nested ones by path', async () => {
    const sut = await startTestService({ database: 'embedded' });
    try {
      const unknown = await sut.api.post('/v1/mailboxes', { ...mailbox, color: 'red' });
      assert.equal(unknown.status, 400);
      assert.ok(unknown.body.message.some((m: string) => m.includes('color')), JSON.stringify(unknown.body));
      const nested = await sut.api.post('/v1/mailboxes', { ...mailbox, incoming: { ...mailbox.incoming, port: 70000 } });
      assert.equal(nested.status, 400);
      assert.ok(nested.body.message.some((m: string) => m.startsWith('incoming.port')), JSON.stringify(nested.body));
      const malformed = await fetch(`${sut.url}/v1/mailboxes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
        body: '{"name":',
      });
      assert.equal(malformed.status, 400);
    } finally {
      await sut.close();
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP proxy to PostgreSQL that a test can cut, to make the database unreachable without stopping it. */
async function startTcpProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const cleanup = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', cleanup).on('close', cleanup);
    upstream.on('error', cleanup).on('close', cleanup);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cutAll() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      refusing = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
