import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  AuthenticationError,
  ConnectionError,
  MessageRejectedError,
  TemporaryRejectionError,
  TimeoutError,
  TlsError,
} from '../../src/core/errors';
import type { Credentials, Deadlines } from '../../src/core/net/connection-options';
import type { MailTransportOptions } from '../../src/outgoing/mail-transport.port';
import { createMailTransport } from '../../src/outgoing/adapters/transport.registry';
import { obtainTokens, refreshTokens, type TokenSet } from '../support/oauth-client';
import { testEnv } from '../support/env';
import { startSmtpReceiver, type SmtpReceiver, type SmtpReceiverOptions } from '../support/smtp-receiver';

const USER = 'outbox-sender@example.test';
const PASSWORD = 'sender-pass';
const DEADLINES: Deadlines = { connectMs: 2_000, commandMs: 5_000, downloadMsPerMiB: 5_000 };

/** A finished mail as the outbox stores it: CRLF, its own Message-ID, an 8-bit body line. */
function rawMail(tag: string): { raw: Buffer; messageId: string } {
  const messageId = `<${tag}.${Date.now()}@deskmail.test>`;
  const raw = Buffer.from(
    [
      'From: "Example Support" <outbox-sender@example.test>',
      'To: requester@example.test',
      `Subject: [##42##] Test ${tag}`,
      `Message-ID: ${messageId}`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße from deskmail.',
      '.a line starting with a dot survives dot-stuffing',
      '',
    ].join('\r\n'),
    'utf8',
  );
  return { raw, messageId };
}

const envelope = { from: USER, to: ['requester@example.test'] };

describe('SmtpTransport against real SMTP receivers', { timeout: 60_000 }, () => {
  const receivers: SmtpReceiver[] = [];
  const env = () => testEnv();
  let tokens: TokenSet;

  /** A receiver of this test with the trusted test certificate and our one user. */
  async function receiver(options: Partial<SmtpReceiverOptions> = {}): Promise<SmtpReceiver> {
    const started = await startSmtpReceiver({
      tls: { key: env().trustedCert.key, cert: env().trustedCert.cert },
      users: { [USER]: PASSWORD },
      ...options,
    });
    receivers.push(started);
    return started;
  }

  function transportOptions(target: SmtpReceiver, overrides: Partial<MailTransportOptions> = {}): MailTransportOptions {
    return {
      protocol: target.secure ? 'smtps' : 'smtp',
      endpoint: { host: target.host, port: target.port, caCertificate: env().caCert },
      requireTls: true,
      credentials: { kind: 'password', username: USER, password: PASSWORD },
      deadlines: DEADLINES,
      ...overrides,
    };
  }

  /** An OAuth2 credential whose calls are recorded; `first` is what it hands out before a forced refresh. */
  function oauth2(first: () => Promise<string>, refreshed: () => Promise<string>) {
    const calls: Array<{ forceRefresh?: boolean } | undefined> = [];
    const credentials: Credentials = {
      kind: 'oauth2',
      username: USER,
      accessToken: async (options) => {
        calls.push(options);
        return options?.forceRefresh ? refreshed() : first();
      },
    };
    return { credentials, calls };
  }

  /** A real refresh_token grant; the client's refresh tokens rotate, so the new set replaces the old. */
  async function refreshGrant(): Promise<string> {
    tokens = await refreshTokens(tokens.refresh_token!, { clientId: env().auth.clients.native.id });
    return tokens.access_token;
  }

  async function send(options: MailTransportOptions, raw: Buffer) {
    const transport = createMailTransport(options);
    try {
      return await transport.send(envelope, raw);
    } finally {
      await transport.close();
    }
  }

  before(async () => {
    tokens = await obtainTokens({ clientId: env().auth.clients.native.id, username: USER });
    assert.ok(tokens.refresh_token, 'the test grant needs a refresh token');
  });

  after(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
  });

  for (const secure of [false, true]) {
    const protocol = secure ? 'smtps' : 'smtp+STARTTLS';

    it(`${protocol}: delivers the exact bytes with a password, Message-ID intact`, async () => {
      const target = await receiver({ secure });
      const { raw, messageId } = rawMail(`password-${secure}`);
      const result = await send(transportOptions(target), raw);
      assert.equal(result.server, 'primary');
      assert.match(result.response, /^250 /);
      const [mail] = await target.waitForMessages(1);
      assert.ok(mail.raw.equals(raw), 'received bytes differ from the sent bytes');
      assert.equal(mail.messageId, messageId);
      assert.equal(mail.secure, true);
      assert.equal(mail.username, USER);
      assert.deepEqual(mail.to, envelope.to);
    });

    it(`${protocol}: logs in with XOAUTH2 using a token from the authorization server`, async () => {
      const target = await receiver({ secure });
      const { credentials, calls } = oauth2(async () => tokens.access_token, async () => assert.fail('no refresh expected'));
      const result = await send(transportOptions(target, { credentials }), rawMail('xoauth2').raw);
      assert.match(result.response, /^250 /);
      const [mail] = await target.waitForMessages(1);
      assert.equal(mail.authMethod, 'XOAUTH2');
      assert.deepEqual(calls, [undefined]);
    });

    it(`${protocol}: a refused token gets exactly one forced refresh, then the mail goes`, async () => {
      const target = await receiver({ secure });
      const { credentials, calls } = oauth2(async () => 'expired-access-token', refreshGrant);
      const result = await send(transportOptions(target, { credentials }), rawMail('refresh').raw);
      assert.match(result.response, /^250 /);
      assert.deepEqual(calls, [undefined, { forceRefresh: true }]);
      assert.equal((await target.waitForMessages(1))[0].authMethod, 'XOAUTH2');
    });
  }

  it('a token refused with a direct 535 (no 334 challenge) is retried on a new connection after one refresh', async () => {
    const target = await receiver({ faults: [{ stage: 'auth', code: 535, message: 'Authentication unsuccessful', times: 1 }] });
    const { credentials, calls } = oauth2(async () => tokens.access_token, async () => tokens.access_token);
    const result = await send(transportOptions(target, { credentials }), rawMail('direct-535').raw);
    assert.match(result.response, /^250 /);
    assert.deepEqual(calls, [undefined, { forceRefresh: true }]);
  });

  it('a token refused again after the refresh is an AuthenticationError (one refresh only)', async () => {
    const target = await receiver();
    const { credentials, calls } = oauth2(async () => 'stale-token', async () => 'still-bad-token');
    await assert.rejects(send(transportOptions(target, { credentials }), rawMail('bad-token').raw), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError, String(error));
      assert.match(error.message, new RegExp(`^the server refused the OAuth2 token for ${USER}`));
      return true;
    });
    assert.equal(calls.filter((call) => call?.forceRefresh).length, 1);
    assert.equal(target.received().length, 0);
  });

  it('a refused password is an AuthenticationError naming the user', async () => {
    const target = await receiver();
    const options = transportOptions(target, { credentials: { kind: 'password', username: USER, password: 'wrong' } });
    await assert.rejects(send(options, rawMail('bad-password').raw), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError, String(error));
      assert.match(error.message, new RegExp(`^the server refused the password for ${USER} \\(535`));
      return true;
    });
  });

  it('refuses a certificate nobody trusts, and accepts it once it is the caCertificate', async () => {
    const untrusted = env().untrustedCert;
    const target = await receiver({ tls: { key: untrusted.key, cert: untrusted.cert } });
    // The test CA is not this server's CA: still untrusted, host names notwithstanding.
    await assert.rejects(send(transportOptions(target), rawMail('untrusted').raw), (error: unknown) => {
      assert.ok(error instanceof TlsError, String(error));
      assert.match(error.message, /certificate not trusted: self-signed certificate; set caCertificate to trust it/);
      return true;
    });
    const withoutCa = transportOptions(target, { endpoint: { host: target.host, port: target.port } });
    await assert.rejects(send(withoutCa, rawMail('untrusted').raw), TlsError);
    assert.equal(target.received().length, 0);

    const trusted = transportOptions(target, { endpoint: { host: target.host, port: target.port, caCertificate: untrusted.cert } });
    assert.match((await send(trusted, rawMail('trusted-by-ca').raw)).response, /^250 /);
  });

  it('451 (RFC 5321 transient) is a TemporaryRejectionError', async () => {
    const target = await receiver({ faults: [{ stage: 'rcpt', code: 451, message: 'Greylisted, try again later' }] });
    await assert.rejects(send(transportOptions(target), rawMail('451').raw), (error: unknown) => {
      assert.ok(error instanceof TemporaryRejectionError, String(error));
      assert.equal(error.retryable, true);
      assert.match(error.response, /^451 Greylisted, try again later/);
      return true;
    });
  });

  it('550 (RFC 5321 permanent) is a MessageRejectedError with the server response', async () => {
    const target = await receiver({ faults: [{ stage: 'data', code: 550, message: 'Message content rejected as spam' }] });
    await assert.rejects(send(transportOptions(target), rawMail('550').raw), (error: unknown) => {
      assert.ok(error instanceof MessageRejectedError, String(error));
      assert.equal(error.retryable, false);
      assert.match(error.response, /^550 Message content rejected as spam/);
      assert.match(error.message, /550 Message content rejected as spam/);
      return true;
    });
  });

  for (const [what, primaryHost] of [['refused', '127.0.0.2'], ['unknown', 'no-such-host.invalid']] as const) {
    it(`delivers through alternateHost when the primary host is ${what}`, async () => {
      const alternate = await receiver();
      const options = transportOptions(alternate, {
        endpoint: { host: primaryHost, port: alternate.port, caCertificate: env().caCert },
        alternateHost: alternate.host,
      });
      const result = await send(options, rawMail(`alternate-${what}`).raw);
      assert.equal(result.server, 'alternate');
      assert.match(result.response, /^250 /);
      assert.equal((await alternate.waitForMessages(1)).length, 1);
    });
  }

  for (const [what, overrides] of [
    ['a refused login', { credentials: { kind: 'password', username: USER, password: 'wrong' } }],
    ['a 550 reply', {}],
  ] as const) {
    it(`does not try alternateHost after ${what}`, async () => {
      const primary = await receiver({ faults: [{ stage: 'rcpt', code: 550, message: 'No such user' }] });
      const lines: string[] = [];
      // 'localhost' reaches the same receiver: a second session would show up in the transcript.
      const options = transportOptions(primary, { ...overrides, alternateHost: 'localhost', transcript: (_d, line) => lines.push(line) });
      await assert.rejects(send(options, rawMail('no-alternate').raw), what === 'a 550 reply' ? MessageRejectedError : AuthenticationError);
      assert.equal(lines.filter((line) => line === 'STARTTLS').length, 1, lines.join('\n'));
    });
  }

  it('names both hosts when the alternate is unreachable too', async () => {
    const closedPort = await closedPortNumber();
    const options: MailTransportOptions = {
      protocol: 'smtp',
      endpoint: { host: '127.0.0.2', port: closedPort },
      alternateHost: '127.0.0.3',
      requireTls: true,
      credentials: { kind: 'none' },
      deadlines: DEADLINES,
    };
    await assert.rejects(send(options, rawMail('both-down').raw), (error: unknown) => {
      assert.ok(error instanceof ConnectionError, String(error));
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.2:${closedPort}.*alternate host: .*127\\.0\\.0\\.3:${closedPort}`));
      return true;
    });
  });

  it('gives up on a server that accepts TCP and never answers, within the connect deadline', async () => {
    const silent = await silentListener();
    const port = silent.port;
    try {
      const options: MailTransportOptions = {
        protocol: 'smtp',
        endpoint: { host: '127.0.0.1', port },
        requireTls: true,
        credentials: { kind: 'none' },
        deadlines: { connectMs: 500, commandMs: 1_000, downloadMsPerMiB: 1_000 },
      };
      const started = Date.now();
      await assert.rejects(send(options, rawMail('silent').raw), (error: unknown) => {
        assert.ok(error instanceof TimeoutError, String(error));
        assert.equal(error.message, `no answer from 127.0.0.1:${port} within 0.5 s`);
        return true;
      });
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    } finally {
      await silent.stop();
    }
  });

  it('sends in clear text only without credentials and without tls', async () => {
    const target = await receiver({ hideStartTls: true, authOptional: true });
    const options = transportOptions(target, { requireTls: false, credentials: { kind: 'none' } });
    assert.match((await send(options, rawMail('plain').raw)).response, /^250 /);
    assert.equal((await target.waitForMessages(1))[0].secure, false);
  });

  for (const [method, authMethods] of [['PLAIN', ['PLAIN']], ['LOGIN', ['LOGIN']], ['XOAUTH2', ['XOAUTH2']]] as const) {
    it(`the debug transcript shows the session with the AUTH ${method} payload redacted`, async () => {
      const target = await receiver({ authMethods: [...authMethods] });
      const lines: string[] = [];
      const credentials: Credentials =
        method === 'XOAUTH2' ? oauth2(async () => tokens.access_token, async () => tokens.access_token).credentials
          : { kind: 'password', username: USER, password: PASSWORD };
      const options = transportOptions(target, { credentials, transcript: (direction, line) => lines.push(`${direction}: ${line}`) });
      await send(options, rawMail(`transcript-${method}`).raw);
      const transcript = lines.join('\n');
      assert.match(transcript, /^client: STARTTLS$/m);
      assert.match(transcript, /^server: 250 /m);
      assert.match(transcript, new RegExp(`^client: AUTH ${method}( \\[redacted\\])?$`, 'm'));
      assert.match(transcript, /^server: 235 /m);
      for (const secret of [PASSWORD, tokens.access_token, b64(PASSWORD), b64(USER), b64(`\u0000${USER}\u0000${PASSWORD}`)]) {
        assert.ok(!transcript.includes(secret), `the transcript leaks ${secret}`);
      }
      assert.ok(!/Grüße/.test(transcript), 'the transcript must not carry the message body');
      if (method === 'LOGIN') assert.equal(lines.filter((line) => line === 'client: [redacted]').length, 2);
    });
  }
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A port nothing listens on (bound, then released). */
async function closedPortNumber(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts connections and says nothing: a hung MTA. `stop()` also drops the sockets it holds. */
async function silentListener(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket.on('error', () => undefined)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port: (server.address() as { port: number }).port, stop };
}
