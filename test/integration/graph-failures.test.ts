// Graph throttling, tokens, permissions, shared mailboxes, failures a person must be able to act
// on, the debug transcript, and GraphTransport (sendMail with MIME) against the Graph emulator.
import assert from 'node:assert/strict';
import { createServer as createTlsServer } from 'node:tls';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { AuthenticationError, ConnectionError, MessageRejectedError, ProtocolError, ThrottledError, TimeoutError, TlsError } from '../../src/core/errors';
import type { Credentials } from '../../src/core/net/connection-options';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import type { MailSourceOptions } from '../../src/incoming/mail-source.port';
import { createMailTransport } from '../../src/outgoing/adapters/transport.registry';
import type { MailTransportOptions } from '../../src/outgoing/mail-transport.port';
import { testEnv } from '../support/env';
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator';
import { TEST_DEADLINES, collect, expiredTokenAccount, numberedMail, oauthAccount, replyMime } from '../support/graph-emulator-testkit';
import { revoke } from '../support/oauth-client';
import { freePort, uniqueId } from '../support/tmp';

const env = testEnv();
let graph: GraphEmulator;

before(async () => {
  graph = await startGraphEmulator(env.trustedCert, env.auth);
});
after(() => graph.close());

function options(credentials: Credentials, extra: Partial<MailSourceOptions> = {}): MailSourceOptions {
  return { protocol: 'graph', endpoint: { host: '', port: 0, caCertificate: env.caCert }, connectUrl: graph.url, credentials, folder: 'INBOX', deadlines: TEST_DEADLINES, ...extra };
}

function transportOptions(credentials: Credentials): MailTransportOptions {
  return { protocol: 'graph', endpoint: { host: '', port: 0, caCertificate: env.caCert }, connectUrl: graph.url, credentials, requireTls: true, deadlines: TEST_DEADLINES };
}

const listen = (server: Server): Promise<Server> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));

describe('Graph throttling', () => {
  for (const status of [429, 503] as const) {
    it(`waits out a ${status} with Retry-After: 2, then succeeds`, async () => {
      const account = await oauthAccount('graph-thr-');
      graph.addMessage(account.address, numberedMail(1).raw);
      const source = createMailSource(options(account.credentials));
      await source.connect();
      graph.injectFault({ status, retryAfter: 2, operation: 'messages/delta' });
      const started = Date.now();
      assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 1);
      assert.ok(Date.now() - started >= 1900, `waited ${Date.now() - started} ms`);
      assert.equal(graph.count('messages/delta', account.address), 2);
      await source.close();
    });
  }

  it('gives up with ThrottledError(retryAfterMs) when the wait does not fit the deadline, and after 3 retries', async () => {
    const account = await oauthAccount('graph-thr2-');
    const source = createMailSource(options(account.credentials));
    await source.connect();
    graph.injectFault({ status: 429, retryAfter: 120, operation: 'messages/delta' });
    await assert.rejects(source.listNew(null, { limit: 10 }), (err: unknown) => err instanceof ThrottledError && err.retryAfterMs === 120_000);
    graph.injectFault({ status: 503, retryAfter: 0, times: 4, operation: 'messages/delta' });
    await assert.rejects(source.listNew(null, { limit: 10 }), ThrottledError);
    assert.equal(graph.count('messages/delta', account.address), 5);
    await source.close();
  });
});

describe('Graph tokens, permissions and mailboxes', () => {
  it('refreshes an expired token once and goes on', async () => {
    const account = await expiredTokenAccount('graph-exp-');
    graph.addMessage(account.address, numberedMail(1).raw);
    const source = createMailSource(options(account.credentials));
    await source.connect();
    assert.equal((await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages))).length, 1);
    assert.deepEqual(account.calls.slice(0, 2), [false, true]);
    await source.close();
  });

  it('refuses a revoked token with AuthenticationError, after one forced refresh', async () => {
    const account = await oauthAccount('graph-rev-');
    await revoke(account.accessToken);
    await assert.rejects(createMailSource(options(account.credentials)).connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.equal(err.message, `the server refused the OAuth2 access token for ${account.address}: Access token has expired or is not yet valid.; re-authorize the mailbox if this persists`);
      return true;
    });
    assert.deepEqual(account.calls, [false, true]);
  });

  it('names Mail.ReadWrite when the grant lacks it (403 ErrorAccessDenied)', async () => {
    const account = await oauthAccount('graph-403-');
    graph.denyPermission(account.address, 'Mail.ReadWrite');
    await assert.rejects(createMailSource(options(account.credentials)).connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, /the OAuth2 grant needs the permission Mail.ReadWrite \(Mail.ReadWrite.Shared for a shared mailbox\)/);
      return true;
    });
  });

  it('opens a shared mailbox through /users/{address} once the account has access', async () => {
    const agent = await oauthAccount('graph-agent-');
    const shared = `${uniqueId('graph-shared-')}@example.test`;
    graph.addMessage(shared, numberedMail(1).raw);
    const credentials: Credentials = { ...agent.credentials, username: shared };
    await assert.rejects(createMailSource(options(credentials)).connect(), (err: unknown) => err instanceof AuthenticationError && err.message.startsWith(`Microsoft Graph denied access to the mailbox ${shared}`));
    graph.grantAccess(shared, agent.address);
    const source = createMailSource(options(credentials));
    await source.connect();
    assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 1);
    assert.ok(graph.requests.some((r) => r.path.startsWith(`/v1.0/users/${encodeURIComponent(shared)}/`)));
    await source.close();
  });

  it('says when there is no such mailbox', async () => {
    const agent = await oauthAccount('graph-agent2-');
    const credentials: Credentials = { ...agent.credentials, username: 'nobody@example.test' };
    await assert.rejects(createMailSource(options(credentials)).connect(), (err: unknown) => err instanceof ProtocolError && /^there is no mailbox nobody@example.test at 127.0.0.1:\d+ \(ErrorInvalidUser/.test(err.message));
  });

  it('refuses password credentials: Graph is OAuth2 only', async () => {
    await assert.rejects(createMailSource(options({ kind: 'password', username: 'a@example.test', password: 'x' })).connect(), /Microsoft Graph needs OAuth2/);
  });
});

describe('Graph connection failures', () => {
  it('reports a closed port as ConnectionError', async () => {
    const account = await oauthAccount('graph-port-');
    const port = await freePort();
    await assert.rejects(createMailSource(options(account.credentials, { connectUrl: `https://127.0.0.1:${port}` })).connect(), (err: unknown) => err instanceof ConnectionError && err.message === `connection refused by 127.0.0.1:${port} — is the port right?`);
  });

  it('refuses the self-signed certificate unless caCertificate trusts it', async () => {
    const account = await oauthAccount('graph-tls-');
    const source = createMailSource({ ...options(account.credentials), endpoint: { host: '', port: 0, caCertificate: null } });
    await assert.rejects(source.connect(), (err: unknown) => err instanceof TlsError && err.message === 'certificate not trusted: self-signed certificate; set caCertificate to trust it');
  });

  it('gives up on a server that accepts and never answers within the deadline', async () => {
    const account = await oauthAccount('graph-silent-');
    const silent = await listen(createTlsServer({ cert: env.trustedCert.cert, key: env.trustedCert.key }, () => undefined));
    const port = (silent.address() as { port: number }).port;
    try {
      const source = createMailSource(options(account.credentials, { connectUrl: `https://127.0.0.1:${port}`, deadlines: { connectMs: 500, commandMs: 500, downloadMsPerMiB: 500 } }));
      await assert.rejects(source.connect(), (err: unknown) => err instanceof TimeoutError && err.message === `no answer from 127.0.0.1:${port} to GET mailFolders/inbox within 1 s`);
    } finally {
      silent.close();
    }
  });
});

describe('Graph debug transcript', () => {
  it('records requests and answers without the token', async () => {
    const account = await oauthAccount('graph-dbg-');
    graph.addMessage(account.address, numberedMail(1).raw);
    const lines: string[] = [];
    const source = createMailSource(options(account.credentials, { transcript: (direction, line) => lines.push(`${direction}: ${line}`) }));
    await source.connect();
    await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    await source.close();
    const text = lines.join('\n');
    assert.match(text, /^client: GET \/v1.0\/users\/.*\/messages\/delta\?.*changeType=created/m);
    assert.match(text, /^server: 200 OK \(\d+ bytes\)$/m);
    assert.ok(!text.includes(account.accessToken));
  });
});

describe('GraphTransport', () => {
  it('sends with sendMail in MIME format, our headers byte for byte, a copy in Sent Items', async () => {
    const account = await oauthAccount('graph-send-');
    const transport = createMailTransport(transportOptions(account.credentials));
    const { raw, messageId } = replyMime(account.address, 'customer@example.org');
    assert.deepEqual(await transport.send({ from: account.address, to: ['customer@example.org'] }, raw), { server: 'primary', response: '202 Accepted' });
    const [sent] = graph.sent(account.address);
    assert.equal(sent.raw.toString(), raw.toString());
    assert.ok(sent.raw.toString().includes(`Message-ID: ${messageId}`));
    assert.equal(graph.messages(account.address, 'sentitems').length, 1);
    await transport.close();
  });

  it('names Mail.Send when the grant lacks it, and maps a refused message to MessageRejectedError', async () => {
    const account = await oauthAccount('graph-send2-');
    const transport = createMailTransport(transportOptions(account.credentials));
    const { raw } = replyMime(account.address, 'customer@example.org');
    graph.injectFault({ status: 400, code: 'ErrorInvalidRecipients', message: 'At least one recipient is not valid.', operation: 'sendMail' });
    await assert.rejects(transport.send({ from: account.address, to: ['customer@example.org'] }, raw), (err: unknown) => err instanceof MessageRejectedError && /ErrorInvalidRecipients/.test(err.message));
    graph.denyPermission(account.address, 'Mail.Send');
    await assert.rejects(transport.send({ from: account.address, to: ['customer@example.org'] }, raw), (err: unknown) => err instanceof AuthenticationError && /needs the permission Mail.Send \(Mail.Send.Shared/.test(err.message));
    await transport.close();
  });
});
