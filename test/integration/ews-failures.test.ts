// EWS failures a person must be able to act on, throttling, tokens, shared mailboxes, the
// debug transcript, and EwsTransport (CreateItem SendAndSaveCopy) against the EWS emulator.
import assert from 'node:assert/strict';
import { EmailMessage, MimeContent, WellKnownFolderName } from 'ews-javascript-api';
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { AuthenticationError, ConnectionError, MessageRejectedError, ThrottledError, TimeoutError, TlsError } from '../../src/core/errors';
import type { Credentials } from '../../src/core/net/connection-options';
import { EwsSession } from '../../src/incoming/adapters/ews/ews-session';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import type { MailSourceOptions } from '../../src/incoming/mail-source.port';
import { createMailTransport } from '../../src/outgoing/adapters/transport.registry';
import type { MailTransportOptions } from '../../src/outgoing/mail-transport.port';
import { testEnv } from '../support/env';
import { startEwsEmulator, type EwsEmulator } from '../support/ews-emulator';
import { TEST_DEADLINES, collect, expiredTokenAccount, numberedMail, oauthAccount, replyMime } from '../support/graph-emulator-testkit';
import { revoke } from '../support/oauth-client';
import { freePort, uniqueId } from '../support/tmp';

const env = testEnv();
let ews: EwsEmulator;

before(async () => {
  ews = await startEwsEmulator(env.trustedCert, env.auth);
});
after(() => ews.close());

function options(credentials: Credentials, extra: Partial<MailSourceOptions> = {}): MailSourceOptions {
  return { protocol: 'ews', endpoint: { host: '', port: 0, caCertificate: env.caCert }, connectUrl: ews.url, credentials, folder: 'INBOX', deadlines: TEST_DEADLINES, ...extra };
}

function transportOptions(credentials: Credentials): MailTransportOptions {
  return { protocol: 'ews', endpoint: { host: '', port: 0, caCertificate: env.caCert }, connectUrl: ews.url, credentials, requireTls: true, deadlines: TEST_DEADLINES };
}

function passwordAccount(): { address: string; credentials: Credentials } {
  const address = `${uniqueId('ewsf-')}@example.test`;
  ews.setPassword(address, 'secret-2');
  return { address, credentials: { kind: 'password', username: address, password: 'secret-2' } };
}

const listen = (server: Server): Promise<Server> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));

describe('EWS throttling', () => {
  it('waits out ErrorServerBusy (BackOffMilliseconds 2000) and then succeeds', async () => {
    const { address, credentials } = passwordAccount();
    ews.addMessage(address, numberedMail(1).raw);
    const source = createMailSource(options(credentials));
    await source.connect();
    ews.injectFault({ kind: 'serverBusy', backOffMs: 2000, operation: 'SyncFolderItems' });
    const started = Date.now();
    const listed = await source.listNew(null, { limit: 10 });
    assert.equal(listed.messages.length, 1);
    assert.ok(Date.now() - started >= 1900, `waited ${Date.now() - started} ms`);
    assert.equal(ews.count('SyncFolderItems', address), 2);
    await source.close();
  });

  it('honours a 503 with Retry-After: 2, then succeeds', async () => {
    const { address, credentials } = passwordAccount();
    ews.addMessage(address, numberedMail(1).raw);
    const source = createMailSource(options(credentials));
    ews.injectFault({ kind: 'http', status: 503, retryAfter: 2, operation: 'GetFolder' });
    const started = Date.now();
    await source.connect();
    assert.ok(Date.now() - started >= 1900);
    assert.ok(await source.sampleOldest());
    await source.close();
  });

  it('gives up with ThrottledError(retryAfterMs) when the wait does not fit the deadline', async () => {
    const { credentials } = passwordAccount();
    const source = createMailSource(options(credentials));
    await source.connect();
    ews.injectFault({ kind: 'serverBusy', backOffMs: 300_000, operation: 'SyncFolderItems' });
    const started = Date.now();
    await assert.rejects(source.listNew(null, { limit: 10 }), (err: unknown) => {
      assert.ok(err instanceof ThrottledError, String(err));
      assert.equal(err.retryAfterMs, 300_000);
      assert.match(err.message, /is throttling this mailbox \(ErrorServerBusy\); retrying after 300 s/);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
    await source.close();
  });
});

describe('EWS tokens and permissions', () => {
  it('refreshes an expired token once and goes on', async () => {
    const account = await expiredTokenAccount('ews-exp-');
    ews.addMessage(account.address, numberedMail(1).raw);
    const source = createMailSource(options(account.credentials));
    await source.connect();
    assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 1);
    assert.deepEqual(account.calls.slice(0, 2), [false, true]);
    await source.close();
  });

  it('refuses a revoked token with AuthenticationError, after one forced refresh', async () => {
    const account = await oauthAccount('ews-rev-');
    await revoke(account.accessToken);
    const source = createMailSource(options(account.credentials));
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, new RegExp(`^the server refused the OAuth2 access token for ${account.address}: The token is expired or has been revoked.; re-authorize`));
      return true;
    });
    assert.deepEqual(account.calls, [false, true]);
  });

  it('refuses a wrong password naming the user', async () => {
    const { address } = passwordAccount();
    const source = createMailSource(options({ kind: 'password', username: address, password: 'wrong' }));
    await assert.rejects(source.connect(), (err: unknown) => err instanceof AuthenticationError && err.message === `the server refused the password for ${address}: 401 Unauthorized`);
  });

  it('opens a shared mailbox the account has full access to, and names what is missing when it has not', async () => {
    const agent = await oauthAccount('ews-agent-');
    const shared = `${uniqueId('ews-shared-')}@example.test`;
    ews.addMessage(shared, numberedMail(1).raw);
    const credentials: Credentials = { ...agent.credentials, username: shared };
    await assert.rejects(createMailSource(options(credentials)).connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, new RegExp(`^access to the mailbox ${shared} was denied \\(ErrorAccessDenied: .*\\); .* needs full access to the mailbox ${shared}, and the OAuth2 grant needs the permission EWS.AccessAsUser.All`));
      return true;
    });
    ews.grantAccess(shared, agent.address);
    const source = createMailSource(options(credentials));
    await source.connect();
    assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 1);
    await source.close();
  });
});

describe('EWS connection failures', () => {
  it('reports a closed port as ConnectionError', async () => {
    const port = await freePort();
    const source = createMailSource(options({ kind: 'none' }, { connectUrl: `https://127.0.0.1:${port}/EWS/Exchange.asmx` }));
    await assert.rejects(source.connect(), (err: unknown) => err instanceof ConnectionError && err.message === `connection refused by 127.0.0.1:${port} — is the port right?`);
  });

  it('refuses the self-signed certificate unless caCertificate trusts it', async () => {
    const { credentials } = passwordAccount();
    const source = createMailSource({ ...options(credentials), endpoint: { host: '', port: 0, caCertificate: null } });
    await assert.rejects(source.connect(), (err: unknown) => err instanceof TlsError && err.message === 'certificate not trusted: self-signed certificate; set caCertificate to trust it');
  });

  it('gives up on a server that accepts and never answers within the deadline', async () => {
    const silent = await listen(createTlsServer({ cert: env.trustedCert.cert, key: env.trustedCert.key }, () => undefined));
    const port = (silent.address() as { port: number }).port;
    try {
      const { credentials } = passwordAccount();
      const source = createMailSource(options(credentials, { connectUrl: `https://127.0.0.1:${port}/EWS/Exchange.asmx`, deadlines: { connectMs: 500, commandMs: 500, downloadMsPerMiB: 500 } }));
      const started = Date.now();
      await assert.rejects(source.connect(), (err: unknown) => err instanceof TimeoutError && err.message === `no answer from 127.0.0.1:${port} to GetFolder within 1 s`);
      assert.ok(Date.now() - started < 3000);
    } finally {
      silent.close();
    }
  });

  it('says when connectUrl is no EWS endpoint', async () => {
    const { credentials } = passwordAccount();
    const source = createMailSource(options(credentials, { connectUrl: `https://127.0.0.1:${ews.port}/owa/` }));
    await assert.rejects(source.connect(), /^ProtocolError: there is no EWS endpoint at https:\/\/127.0.0.1:\d+\/owa\/ \(404 Not Found\)/);
  });

  it('never sends credentials over http://', async () => {
    const plain = await listen(createNetServer(() => undefined));
    try {
      const { credentials } = passwordAccount();
      const source = createMailSource(options(credentials, { connectUrl: `http://127.0.0.1:${(plain.address() as { port: number }).port}/EWS/Exchange.asmx` }));
      await assert.rejects(source.connect(), /must be https:\/\//);
    } finally {
      plain.close();
    }
  });
});

describe('EWS debug transcript', () => {
  it('records the SOAP exchange without the Authorization header or the token', async () => {
    const account = await oauthAccount('ews-dbg-');
    ews.addMessage(account.address, numberedMail(1).raw);
    const lines: string[] = [];
    const source = createMailSource(options(account.credentials, { transcript: (direction, line) => lines.push(`${direction}: ${line}`) }));
    await source.connect();
    await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    await source.close();
    const text = lines.join('\n');
    assert.match(text, /^client: POST \/EWS\/Exchange.asmx SyncFolderItems /m);
    assert.match(text, /^server: 200 OK .*<t:MimeContent CharacterSet="UTF-8">\[\d+ base64 chars\]<\/t:MimeContent>/m);
    assert.ok(!text.includes(account.accessToken), 'no token in the transcript');
    assert.ok(!/authorization/i.test(text));
  });
});

describe('EwsTransport', () => {
  it('sends with CreateItem SendAndSaveCopy, our headers byte for byte, a copy in Sent Items', async () => {
    const account = await oauthAccount('ews-send-');
    const transport = createMailTransport(transportOptions(account.credentials));
    const { raw, messageId } = replyMime(account.address, 'customer@example.org');
    const result = await transport.send({ from: account.address, to: ['customer@example.org'] }, raw);
    assert.deepEqual(result, { server: 'primary', response: 'CreateItem (SendAndSaveCopy): NoError' });
    const [sent] = ews.sent(account.address);
    assert.equal(sent.raw.toString(), raw.toString());
    assert.ok(sent.raw.toString().includes(`Message-ID: ${messageId}`));
    assert.equal(ews.messages(account.address, 'sentitems').length, 1);
    await transport.close();
  });

  it('sends with a password (on-premises) and maps a refusal to MessageRejectedError', async () => {
    const { address, credentials } = passwordAccount();
    const transport = createMailTransport(transportOptions(credentials));
    const { raw } = replyMime(address, 'customer@example.org');
    await transport.send({ from: address, to: ['customer@example.org'] }, raw);
    ews.injectFault({ kind: 'error', code: 'ErrorInvalidRecipients', message: 'At least one recipient is not valid.', operation: 'CreateItem' });
    await assert.rejects(transport.send({ from: address, to: ['customer@example.org'] }, raw), (err: unknown) => {
      assert.ok(err instanceof MessageRejectedError, String(err));
      assert.match(err.message, /^Exchange refused the message: .*ErrorInvalidRecipients: At least one recipient is not valid./);
      return true;
    });
    await transport.close();
  });
});

describe('the EWS emulator', () => {
  it('answers ews-javascript-api’s draft and send (CreateItem SaveOnly, then SendItem) like Exchange', async () => {
    const { address, credentials } = passwordAccount();
    const session = new EwsSession(transportOptions(credentials));
    try {
      const { raw } = replyMime(address, 'customer@example.org');
      const draft = new EmailMessage(session.service);
      draft.MimeContent = new MimeContent('UTF-8', raw.toString('base64'));
      await session.call('CreateItem', () => draft.Save(session.distinguished(WellKnownFolderName.Drafts)));
      assert.equal(ews.messages(address, 'drafts').length, 1);
      await session.call('SendItem', () => draft.Send());
      assert.equal(ews.messages(address, 'drafts').length, 0);
      assert.equal(ews.sent(address)[0].raw.toString(), raw.toString());
    } finally {
      session.close();
    }
  });
});
