// Pop3Source against the real test Dovecot: UIDL listing, RETR, DELE + QUIT, the sample,
// failures a person must be able to act on, and the redacted debug transcript.
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { after, describe, it } from 'node:test';

import { AuthenticationError, ConnectionError, ProtocolError, TimeoutError, TlsError } from '../../src/core/errors';
import { DEFAULT_DEADLINES, type Deadlines } from '../../src/core/net/connection-options';
import { isSpooled, readSpooled, releaseBytes } from '../../src/core/spool/spooled-bytes';
import { Pop3Source } from '../../src/incoming/adapters/pop3/pop3.source';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import { revoke } from '../support/auth-server';
import { addFlags, deliver, listMessages } from '../support/dovecot';
import { testEnv } from '../support/env';
import { collect } from '../support/graph-emulator-testkit';
import { closeOpenedSources, connectedSource, dovecotOAuthUser, dovecotPasswordUser, dovecotSourceOptions, listenOnLoopback } from '../support/mail-sources';
import { freePort, uniqueId } from '../support/tmp';

const env = testEnv();
const SHORT_DEADLINES: Deadlines = { connectMs: 1000, commandMs: 1000, downloadMsPerMiB: 1000 };

after(closeOpenedSources);

function testMail(subject: string): { raw: string; messageId: string } {
  const messageId = `<${uniqueId('pop3-')}@example.test>`;
  const raw = [
    'From: Requester <requester@example.test>',
    'To: support@example.test',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'Date: Mon, 16 Nov 2026 10:00:00 +0000',
    '',
    `Body of ${subject}.`,
    '.a line that starts with a dot',
    '.',
    'the end',
    '',
  ].join('\r\n');
  return { raw, messageId };
}

async function deliverMails(user: string, count: number) {
  const mails = [];
  for (let i = 1; i <= count; i++) {
    const mail = testMail(`mail ${i}`);
    mails.push({ ...mail, uid: await deliver(user, mail.raw) });
  }
  return mails;
}

describe('Pop3Source lists, fetches and acknowledges', () => {
  const matrix = [
    { protocol: 'pop', auth: 'password' },
    { protocol: 'pops', auth: 'password' },
    { protocol: 'pops', auth: 'oauth2' },
  ] as const;
  for (const { protocol, auth } of matrix) {
    it(`over ${protocol} with ${auth}: lists every UIDL oldest first, fetches the exact bytes, deletes on acknowledge`, async () => {
      const account = auth === 'password' ? await dovecotPasswordUser('pop3-source') : await dovecotOAuthUser('pop3-oauth');
      const mails = await deliverMails(account.user, 3);
      const source = await connectedSource(dovecotSourceOptions(protocol, account.credentials));

      const listed = await source.listNew(null, { limit: 1 });
      assert.equal(listed.cursorReset, false);
      assert.deepEqual(listed.cursor, {});
      assert.equal(listed.messages.length, 3, 'POP lists everything; the runner filters and limits');
      const onServer = await listMessages(account.user);
      assert.deepEqual(listed.messages.map((ref) => ref.size), onServer.map((message) => message.size));
      assert.equal(new Set(listed.messages.map((ref) => ref.serverId)).size, 3);

      const fetched = await collect(source.fetch(listed.messages));
      fetched.forEach((mail, i) => assert.equal(mail.raw.toString(), mails[i].raw, 'dot-unstuffed, byte for byte'));

      await source.acknowledge(listed.messages.slice(0, 2), 'delete');
      assert.deepEqual((await listMessages(account.user)).map((m) => m.messageId), [mails[2].messageId]);

      // The session ended with QUIT; the source opens a new one by itself.
      const relisted = await source.listNew(null, { limit: 10 });
      assert.deepEqual(relisted.messages.map((ref) => ref.serverId), [listed.messages[2].serverId]);
    });
  }

  it('fetches a 3 MB mail byte for byte into one buffer of its LIST size', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    const big = testMail('a 3 MB mail');
    const body = Array.from({ length: 40_000 }, (_, i) => (i % 7 === 0 ? '.' : '') + `line ${i} `.padEnd(76, 'x')).join('\r\n');
    const bigRaw = big.raw + body + '\r\n';
    await deliver(user, bigRaw);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials, { deadlines: { ...DEFAULT_DEADLINES, downloadMsPerMiB: 5000 } }));
    const listed = await source.listNew(null, { limit: 10 });
    const [mail] = await collect(source.fetch(listed.messages));
    assert.equal(mail.raw.toString(), bigRaw);
    const raw = mail.raw as Buffer;
    assert.equal(raw.byteLength, raw.buffer.byteLength, 'no second buffer');
    assert.ok(raw.buffer instanceof SharedArrayBuffer, 'shared with a parse worker without a copy');
  });

  it('retrieves a mail above spoolAboveBytes into a spool file, byte for byte', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    const bigRaw = testMail('a 3 MB mail').raw + Array.from({ length: 40_000 }, (_, i) => (i % 7 === 0 ? '.' : '') + `line ${i} `.padEnd(76, 'x')).join('\r\n') + '\r\n';
    await deliver(user, bigRaw);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials, { spoolAboveBytes: 1024 * 1024, deadlines: { ...DEFAULT_DEADLINES, downloadMsPerMiB: 5000 } }));
    const [mail] = await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    assert.ok(isSpooled(mail.raw), 'in a spool file, not in memory');
    assert.equal(readSpooled(mail.raw).toString(), bigRaw);
    releaseBytes(mail.raw);
  });

  it('keeps mail on the server with afterFetch keep', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    await deliverMails(user, 2);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials));
    const listed = await source.listNew(null, { limit: 10 });
    await collect(source.fetch(listed.messages));
    await source.acknowledge(listed.messages, 'keep');
    await source.close();
    assert.equal((await listMessages(user)).length, 2);
  });

  it('sees a mail delivered after listNew in the next session, with a new UIDL', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    await deliverMails(user, 1);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials));
    const first = await source.listNew(null, { limit: 10 });
    const [late] = await deliverMails(user, 1);
    await source.close();
    await source.connect();
    const second = await source.listNew(null, { limit: 10 });
    assert.equal(second.messages.length, 2);
    assert.equal(second.messages[0].serverId, first.messages[0].serverId);
    const [mail] = await collect(source.fetch([second.messages[1]]));
    assert.ok(mail.raw.toString().includes(late.messageId));
  });

  it('refuses after-fetch actions POP3 does not have', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    await deliverMails(user, 1);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials));
    const listed = await source.listNew(null, { limit: 10 });
    await assert.rejects(source.acknowledge(listed.messages, 'move', { moveTo: 'Archive' }), ProtocolError);
  });
});

describe('Pop3Source.sampleOldest', () => {
  it('returns the oldest mail and changes neither flags nor the message count', async () => {
    const { user, credentials } = await dovecotPasswordUser('pop3-source');
    const mails = await deliverMails(user, 3);
    await addFlags(user, 'INBOX', mails[1].uid, ['\\Flagged']);
    const before = await listMessages(user);
    const source = await connectedSource(dovecotSourceOptions('pops', credentials));

    const sample = await source.sampleOldest();
    assert.ok(sample);
    assert.equal(sample.raw.toString(), mails[0].raw);
    assert.equal(sample.ref.size, before[0].size);
    assert.deepEqual(await listMessages(user), before);
  });

  it('answers null for an empty maildrop', async () => {
    const { credentials } = await dovecotPasswordUser('pop3-source');
    const source = await connectedSource(dovecotSourceOptions('pops', credentials));
    assert.equal(await source.sampleOldest(), null);
  });
});

describe('Pop3Source failures', () => {
  for (const protocol of ['pop', 'pops'] as const) {
    it(`refuses a wrong password over ${protocol} with AuthenticationError naming the user`, async () => {
      const { user } = await dovecotPasswordUser('pop3-source');
      const source = createMailSource(dovecotSourceOptions(protocol, { kind: 'password', username: user, password: 'wrong' }));
      await assert.rejects(source.connect(), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError, String(err));
        assert.match(err.message, new RegExp(`^the server refused the password for ${user.replace(/[.+]/g, '\\$&')}`));
        return true;
      });
    });
  }

  it('refuses a revoked token with AuthenticationError naming the token, leaving the refresh to SourceConnector', async () => {
    const { credentials, token, calls } = await dovecotOAuthUser('pop3-oauth');
    await revoke(token);
    const source = createMailSource(dovecotSourceOptions('pops', credentials));
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, /refused the OAuth2 access token/);
      return true;
    });
    assert.deepEqual(calls, [undefined], 'one login attempt, no refresh of its own');
  });

  it('reports a closed port as ConnectionError', async () => {
    const port = await freePort();
    const source = createMailSource({ ...dovecotSourceOptions('pops', { kind: 'none' }), endpoint: { host: '127.0.0.1', port } });
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.message, `connection refused by 127.0.0.1:${port} — is the port right?`);
      return true;
    });
  });

  for (const protocol of ['pop', 'pops'] as const) {
    it(`gives up on a ${protocol} server that accepts and never answers within the deadline`, async () => {
      const silent = await listenOnLoopback(createNetServer(() => undefined));
      const port = (silent.address() as { port: number }).port;
      const { credentials } = await dovecotPasswordUser('pop3-source');
      const source = createMailSource({ ...dovecotSourceOptions(protocol, credentials, { deadlines: SHORT_DEADLINES }), endpoint: { host: '127.0.0.1', port } });
      const started = Date.now();
      try {
        await assert.rejects(source.connect(), (err: unknown) => {
          assert.ok(err instanceof TimeoutError, String(err));
          assert.equal(err.message, `no answer from 127.0.0.1:${port} within 1 s`);
          return true;
        });
        assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      } finally {
        silent.close();
      }
    });
  }

  it('refuses the self-signed certificate unless caCertificate trusts it', async () => {
    const { credentials } = await dovecotPasswordUser('pop3-source');
    for (const protocol of ['pop', 'pops'] as const) {
      const untrusting = dovecotSourceOptions(protocol, credentials);
      const source = createMailSource({ ...untrusting, endpoint: { ...untrusting.endpoint, caCertificate: null } });
      await assert.rejects(source.connect(), (err: unknown) => {
        assert.ok(err instanceof TlsError, `${protocol}: ${err}`);
        assert.equal(err.message, 'certificate not trusted: self-signed certificate; set caCertificate to trust it');
        return true;
      });
      const trusting = await connectedSource(dovecotSourceOptions(protocol, credentials));
      assert.deepEqual((await trusting.listNew(null, { limit: 1 })).messages, []);
    }
  });

  it('refuses a certificate other than the trusted one', async () => {
    const { credentials } = await dovecotPasswordUser('pop3-source');
    const stranger = await listenOnLoopback(createTlsServer({ cert: env.untrustedCert.cert, key: env.untrustedCert.key }));
    try {
      const port = (stranger.address() as { port: number }).port;
      const source = createMailSource({ ...dovecotSourceOptions('pops', credentials), endpoint: { host: '127.0.0.1', port, caCertificate: env.caCert } });
      await assert.rejects(source.connect(), TlsError);
    } finally {
      stranger.close();
    }
  });

  it('refuses to send a password over pop when the server offers no STLS', async () => {
    const plain = await listenOnLoopback(
      createNetServer((socket) => {
        socket.write('+OK fake POP3 ready\r\n');
        socket.on('data', (data) => {
          const verb = data.toString().trim().split(' ')[0].toUpperCase();
          socket.write(verb === 'CAPA' ? '+OK\r\nUSER\r\nUIDL\r\n.\r\n' : verb === 'QUIT' ? '+OK bye\r\n' : '-ERR no\r\n');
        });
      }),
    );
    try {
      const port = (plain.address() as { port: number }).port;
      const { credentials } = await dovecotPasswordUser('pop3-source');
      const source = createMailSource({ ...dovecotSourceOptions('pop', credentials), endpoint: { host: '127.0.0.1', port } });
      await assert.rejects(source.connect(), (err: unknown) => {
        assert.ok(err instanceof TlsError, String(err));
        assert.match(err.message, /does not offer STLS, and deskmail never sends credentials unencrypted; use pops/);
        return true;
      });
    } finally {
      plain.close();
    }
  });
});

describe('Pop3Source debug transcript', () => {
  for (const auth of ['password', 'oauth2'] as const) {
    it(`records both directions with the ${auth} login redacted`, async () => {
      const account = auth === 'password' ? await dovecotPasswordUser('pop3-source') : await dovecotOAuthUser('pop3-oauth');
      await deliverMails(account.user, 1);
      const lines: string[] = [];
      const source = await connectedSource(
        dovecotSourceOptions(auth === 'password' ? 'pop' : 'pops', account.credentials, {
          transcript: (direction, line) => lines.push(`${direction === 'client' ? 'C' : 'S'}: ${line}`),
        }),
      );
      const listed = await source.listNew(null, { limit: 10 });
      await collect(source.fetch(listed.messages));
      await source.close();

      const text = lines.join('\n');
      assert.match(text, /^S: \+OK/m);
      assert.match(text, /^C: UIDL$/m);
      assert.match(text, /^C: RETR 1$/m);
      const secret = 'password' in account ? account.password : account.token;
      assert.ok(!text.includes(secret), 'no secret in the transcript');
      assert.ok(!text.includes(Buffer.from(`auth=Bearer ${secret}`).toString('base64').slice(0, 20)));
      if (auth === 'password') {
        assert.match(text, /^C: STLS$/m);
        assert.match(text, /^C: PASS \[redacted\]$/m);
      } else {
        assert.match(text, /^C: AUTH XOAUTH2/m);
        for (const line of lines.filter((l) => l.startsWith('C:'))) assert.ok(line.length < 100, `long client line: ${line}`);
      }
    });
  }
});

describe('Pop3Source registry', () => {
  it('is what the registry builds for pop and pops', () => {
    assert.ok(createMailSource(dovecotSourceOptions('pop', { kind: 'none' })) instanceof Pop3Source);
    assert.ok(createMailSource(dovecotSourceOptions('pops', { kind: 'none' })) instanceof Pop3Source);
  });
});

