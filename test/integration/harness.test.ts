// Proves the test harness itself: every shared server answers the way later tests rely on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { createTransport } from 'nodemailer';
import { Client } from 'pg';

import { driveConsent, introspect, obtainTokens, refreshTokens, registerClient, revoke, tokenStats } from '../support/auth-server';
import { createMailUser, deliver, expunge, folderStatus, listMessages, resetUidValidity } from '../support/dovecot';
import { testEnv } from '../support/env';
import { connectImap } from '../support/imap';
import { buildTestMail } from '../support/mail';
import { Pop3TestClient } from '../support/pop3';
import { createDatabase, dropDatabase } from '../support/postgres';
import { startSmtpReceiver, waitForReceived } from '../support/smtp-receiver';
import { uniqueId } from '../support/tmp';

const env = testEnv();

function testMail(from: string, to: string, subject = 'harness check') {
  const messageId = `<${uniqueId('harness-')}@example.test>`;
  return { from, to, subject, text: 'Hello from the harness test.', messageId };
}

/** Dovecot's log line for a successful login names the SASL mechanism used. */
function loggedLoginMethods(user: string): string[] {
  const log = readFileSync(env.dovecot.logPath, 'utf8');
  return [...log.matchAll(new RegExp(`Login: user=<${user.replace(/[.+]/g, '\\$&')}>, method=([A-Z0-9-]+)`, 'g'))].map((m) => m[1]);
}

describe('Dovecot', () => {
  it('accepts a password login over IMAPS when the test CA is trusted', async () => {
    const { email, password } = await createMailUser('imap');
    const client = await connectImap({ user: email, password });
    try {
      const mailbox = await client.mailboxOpen('INBOX');
      assert.equal(mailbox.exists, 0);
    } finally {
      await client.logout();
    }
  });

  it('refuses the TLS handshake when only the untrusted certificate is trusted', async () => {
    const { email, password } = await createMailUser('untrusted');
    await assert.rejects(connectImap({ user: email, password, ca: env.untrustedCert.cert }), (error: Error & { code?: string }) => {
      assert.match(String(error.code ?? error.message), /CERT|SELF_SIGNED|verify/i);
      return true;
    });
  });

  it('accepts a token of the test authorization server with XOAUTH2 and OAUTHBEARER', async () => {
    const user = `oauth-${uniqueId()}@example.test`;
    const tokens = await obtainTokens({ clientId: env.auth.clients.native.id, username: user });
    for (const mechanism of ['XOAUTH2', 'OAUTHBEARER'] as const) {
      const client = await connectImap({ user, accessToken: tokens.access_token, mechanism });
      await client.logout();
    }
    assert.deepEqual(loggedLoginMethods(user).sort(), ['OAUTHBEARER', 'XOAUTH2']);
  });

  it('refuses the same token once it is revoked', async () => {
    const user = `revoked-${uniqueId()}@example.test`;
    const tokens = await obtainTokens({ clientId: env.auth.clients.native.id, username: user });
    await revoke(tokens.access_token);
    assert.equal((await introspect(tokens.access_token)).active, false);
    await assert.rejects(connectImap({ user, accessToken: tokens.access_token, mechanism: 'XOAUTH2' }), (error: Error & { authenticationFailed?: boolean }) => {
      assert.equal(error.authenticationFailed, true);
      return true;
    });
  });

  it('accepts POP3S logins with a password and with an XOAUTH2 token', async () => {
    const { email, password } = await createMailUser('pop3');
    const withPassword = await Pop3TestClient.connect();
    assert.equal(await withPassword.loginWithPassword(email, password), true);
    assert.match(await withPassword.command('STAT'), /^\+OK 0 0/);
    await withPassword.quit();

    const tokens = await obtainTokens({ clientId: env.auth.clients.native.id, username: email });
    const withToken = await Pop3TestClient.connect();
    assert.equal(await withToken.loginWithToken(email, tokens.access_token), true);
    await withToken.quit();
  });

  it('lists a delivered mail with its UID, flags, size and Message-ID', async () => {
    const { email, password } = await createMailUser('deliver');
    const raw = `From: a@example.test\r\nTo: ${email}\r\nMessage-ID: <deliver-1@example.test>\r\nSubject: hi\r\n\r\nbody\r\n`;
    const uid = await deliver(email, raw, { flags: ['\\Seen'] });
    const second = await deliver(email, raw.replace('deliver-1', 'deliver-2'), { folder: 'Support/Inbound' });

    assert.deepEqual(await listMessages(email), [{ uid, flags: ['\\Seen'], size: Buffer.byteLength(raw), messageId: '<deliver-1@example.test>' }]);
    assert.equal((await listMessages(email, 'Support/Inbound'))[0].uid, second);
    const client = await connectImap({ user: email, password });
    try {
      const status = await client.status('INBOX', { messages: true, unseen: true });
      assert.ok(status, 'STATUS failed');
      assert.deepEqual([status.messages, status.unseen], [1, 0]);
    } finally {
      await client.logout();
    }
  });

  it('reports a new UIDVALIDITY and renumbered UIDs after resetUidValidity', async () => {
    const { email } = await createMailUser('uidvalidity');
    for (const n of [1, 2, 3]) await deliver(email, buildTestMail({ to: email, messageId: `<uv-${n}@example.test>` }).raw);
    await expunge(email, 'INBOX', 1);
    const { before, after } = await resetUidValidity(email);

    assert.notEqual(after, before);
    assert.equal((await folderStatus(email)).uidValidity, after);
    assert.deepEqual((await listMessages(email)).map((m) => [m.uid, m.messageId]), [[1, '<uv-2@example.test>'], [2, '<uv-3@example.test>']]);
  });
});

describe('SMTP receivers', () => {
  it('receive a mail sent over STARTTLS with a password', async () => {
    const { email, password } = await createMailUser('smtp-pw');
    const transport = createTransport({
      host: env.smtp.host, port: env.smtp.starttlsPort, secure: false, requireTLS: true,
      tls: { ca: env.smtp.caCert }, auth: { user: email, pass: password },
    });
    const mail = testMail(email, 'someone@example.test');
    await transport.sendMail(mail);

    const received = await waitForReceived((m) => m.messageId === mail.messageId);
    assert.deepEqual([received.username, received.authMethod, received.secure, received.to], [email, 'PLAIN', true, ['someone@example.test']]);
  });

  it('receive a mail sent over implicit TLS with XOAUTH2', async () => {
    const user = `smtp-oauth-${uniqueId()}@example.test`;
    const tokens = await obtainTokens({ clientId: env.auth.clients.native.id, username: user });
    const transport = createTransport({
      host: env.smtp.host, port: env.smtp.tlsPort, secure: true,
      tls: { ca: env.smtp.caCert }, auth: { type: 'OAuth2', user, accessToken: tokens.access_token },
    });
    const mail = testMail(user, 'someone@example.test');
    await transport.sendMail(mail);

    const received = await waitForReceived((m) => m.messageId === mail.messageId);
    assert.deepEqual([received.username, received.authMethod, received.secure], [user, 'XOAUTH2', true]);
  });

  it('answer 451 once when programmed so, then accept the retry', async () => {
    const receiver = await startSmtpReceiver({
      tls: env.trustedCert, secure: true, users: { 'fault@example.test': 'secret' },
      faults: [{ stage: 'data', code: 451, message: 'Try again later', times: 1 }],
    });
    try {
      const transport = createTransport({
        host: receiver.host, port: receiver.port, secure: true,
        tls: { ca: env.caCert }, auth: { user: 'fault@example.test', pass: 'secret' },
      });
      const mail = testMail('fault@example.test', 'someone@example.test');
      await assert.rejects(transport.sendMail(mail), (error: Error & { responseCode?: number }) => error.responseCode === 451);
      await transport.sendMail(mail);
      assert.deepEqual(receiver.received().map((m) => m.messageId), [mail.messageId]);
      assert.deepEqual(receiver.faultHits(), [1]);
    } finally {
      await receiver.stop();
    }
  });
});

describe('authorization server', () => {
  it('counts token-endpoint requests per client and grant type', async () => {
    const client = await registerClient({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'client_secret_post' });
    const tokens = await obtainTokens({ clientId: client.client_id, clientSecret: client.client_secret, username: 'count@example.test', redirectUri: 'http://127.0.0.1:9/cb' });
    await refreshTokens(tokens.refresh_token!, { clientId: client.client_id, clientSecret: client.client_secret });

    assert.deepEqual(await tokenStats(client.client_id), { requests: 2, errors: 0, byGrantType: { authorization_code: 1, refresh_token: 1 } });
  });

  it('drives an authorize URL built elsewhere to the redirect with code and state', async () => {
    const redirectUri = 'http://127.0.0.1:9/service/callback';
    const client = await registerClient({ redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic' });
    const url = new URL(env.auth.authorizeUrl);
    url.search = new URLSearchParams({ client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'openid email', state: 'xyz' }).toString();

    const callback = new URL(await driveConsent(url.toString(), 'consent@example.test'));
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
    assert.equal(callback.searchParams.get('state'), 'xyz');
    assert.ok(callback.searchParams.get('code'));
  });

  it('lets a 1 s access token of a registered client expire', async () => {
    const client = await registerClient({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none', x_access_token_ttl: 1 });
    const tokens = await obtainTokens({ clientId: client.client_id, username: 'short@example.test', redirectUri: 'http://127.0.0.1:9/cb' });
    assert.equal(tokens.expires_in, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await introspect(tokens.access_token)).active, false);
  });
});

describe('PostgreSQL', () => {
  it('createDatabase gives a fresh, empty, writable database', async () => {
    const url = await createDatabase();
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
      assert.equal(rows[0].n, 0);
      await client.query('CREATE TABLE t (id int)');
      await client.query('INSERT INTO t VALUES (1)');
    } finally {
      await client.end();
      await dropDatabase(url);
    }
  });
});
