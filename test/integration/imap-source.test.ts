// ImapSource against the real test Dovecot: listing, fetching, acknowledging, the sample,
// cursors, failures a person must be able to act on, and the redacted debug transcript.
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { after, describe, it } from 'node:test';

import { AuthenticationError, ConnectionError, ProtocolError, TimeoutError, TlsError } from '../../src/core/errors';
import { DEFAULT_DEADLINES, type Deadlines } from '../../src/core/net/connection-options';
import { isSpooled, readSpooled, releaseBytes } from '../../src/core/spool/spooled-bytes';
import { ImapSource } from '../../src/incoming/adapters/imap/imap.source';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import { revoke } from '../support/auth-server';
import { addFlags, createFolder, deliver, listMessages, resetUidValidity } from '../support/dovecot';
import { testEnv } from '../support/env';
import { collect } from '../support/graph-emulator-testkit';
import { closeOpenedSources, connectedSource, dovecotOAuthUser, dovecotPasswordUser, dovecotSourceOptions, listenOnLoopback } from '../support/mail-sources';
import { freePort, uniqueId } from '../support/tmp';

const env = testEnv();
const SHORT_DEADLINES: Deadlines = { connectMs: 1000, commandMs: 1000, downloadMsPerMiB: 1000 };

after(closeOpenedSources);

function testMail(subject: string): { raw: string; messageId: string } {
  const messageId = `<${uniqueId('imap-')}@example.test>`;
  const raw = [
    'From: Requester <requester@example.test>',
    'To: support@example.test',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'Date: Mon, 16 Nov 2026 10:00:00 +0000',
    '',
    `Body of ${subject}.`,
    '.a line that starts with a dot',
    '',
  ].join('\r\n');
  return { raw, messageId };
}

async function deliverMails(user: string, count: number, folder = 'INBOX') {
  const mails = [];
  for (let i = 1; i <= count; i++) {
    const mail = testMail(`mail ${i}`);
    mails.push({ ...mail, uid: await deliver(user, mail.raw, { folder }) });
  }
  return mails;
}

function flagsOf(messages: Array<{ flags: string[] }>): string[][] {
  return messages.map((message) => [...message.flags].sort());
}

describe('ImapSource lists, fetches and acknowledges', () => {
  const matrix = [
    { protocol: 'imap', auth: 'password' },
    { protocol: 'imaps', auth: 'password' },
    { protocol: 'imaps', auth: 'oauth2' },
  ] as const;
  for (const { protocol, auth } of matrix) {
    it(`over ${protocol} with ${auth}: lists oldest first, fetches without marking seen, marks seen on acknowledge`, async () => {
      const account = auth === 'password' ? await dovecotPasswordUser('imap-source') : await dovecotOAuthUser('imap-oauth');
      const mails = await deliverMails(account.user, 3);
      const source = await connectedSource(dovecotSourceOptions(protocol, account.credentials));

      const listed = await source.listNew(null, { limit: 10 });
      assert.equal(listed.cursorReset, false);
      assert.deepEqual(listed.messages.map((ref) => Number(ref.cursorAfter.lastUid)), mails.map((mail) => mail.uid));
      const onServer = await listMessages(account.user);
      assert.deepEqual(listed.messages.map((ref) => ref.size), onServer.map((message) => message.size));
      assert.ok(listed.messages.every((ref) => ref.receivedAt instanceof Date));

      const fetched = await collect(source.fetch(listed.messages));
      assert.deepEqual(fetched.map((mail) => mail.ref.serverId), listed.messages.map((ref) => ref.serverId));
      fetched.forEach((mail, i) => {
        assert.ok(mail.raw.toString().includes(mails[i].messageId));
        assert.ok(mail.raw.toString().includes('\r\n.a line that starts with a dot'));
      });
      assert.deepEqual(flagsOf(await listMessages(account.user)), [[], [], []], 'BODY.PEEK leaves \\Seen alone');

      await source.acknowledge(listed.messages.slice(0, 2), 'markSeen');
      assert.deepEqual(flagsOf(await listMessages(account.user)), [['\\Seen'], ['\\Seen'], []]);
    });
  }

  it('gives at most `limit` messages, the oldest', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const mails = await deliverMails(user, 3);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const listed = await source.listNew(null, { limit: 2 });
    assert.deepEqual(listed.messages.map((ref) => Number(ref.cursorAfter.lastUid)), [mails[0].uid, mails[1].uid]);
  });

  it('picks up a mail delivered after listNew exactly once', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    await deliverMails(user, 2);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const first = await source.listNew(null, { limit: 10 });
    const cursor = first.messages[first.messages.length - 1].cursorAfter;

    const [late] = await deliverMails(user, 1);
    const second = await source.listNew(cursor, { limit: 10 });
    assert.deepEqual(second.messages.map((ref) => Number(ref.cursorAfter.lastUid)), [late.uid]);
    // Nothing newer: `UID SEARCH UID n+1:*` still answers the last UID (RFC 3501 §6.4.8).
    const third = await source.listNew(second.messages[0].cursorAfter, { limit: 10 });
    assert.deepEqual(third.messages, []);
    assert.deepEqual(third.cursor, second.messages[0].cursorAfter);
  });

  it('resets the cursor and re-reads the folder when UIDVALIDITY changes', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    await deliverMails(user, 2);
    const before = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const listed = await before.listNew(null, { limit: 10 });
    const cursor = listed.messages[1].cursorAfter;
    await before.close();

    const { after: uidValidity } = await resetUidValidity(user);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const relisted = await source.listNew(cursor, { limit: 10 });
    assert.equal(relisted.cursorReset, true);
    assert.equal(relisted.messages.length, 2);
    assert.equal(relisted.cursor?.uidValidity, String(uidValidity));
    assert.ok(relisted.messages.every((ref) => ref.serverId.startsWith(`${uidValidity}:`)));
  });

  it('moves acknowledged mail to moveTo, and says so when that folder does not exist', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const mails = await deliverMails(user, 3);
    await createFolder(user, 'Processed');
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const listed = await source.listNew(null, { limit: 10 });

    await source.acknowledge([listed.messages[0], listed.messages[2]], 'move', { moveTo: 'Processed' });
    assert.deepEqual((await listMessages(user)).map((m) => m.messageId), [mails[1].messageId]);
    assert.deepEqual((await listMessages(user, 'Processed')).map((m) => m.messageId), [mails[0].messageId, mails[2].messageId]);

    await assert.rejects(source.acknowledge([listed.messages[1]], 'move', { moveTo: 'Procesed' }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.match(err.message, /folder "Procesed" does not exist/);
      return true;
    });
  });

  it('deletes acknowledged mail and nothing else another client marked \\Deleted', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const mails = await deliverMails(user, 3);
    await addFlags(user, 'INBOX', mails[2].uid, ['\\Deleted']);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    const listed = await source.listNew(null, { limit: 10 });
    await source.acknowledge([listed.messages[0]], 'delete');
    assert.deepEqual((await listMessages(user)).map((m) => m.uid), [mails[1].uid, mails[2].uid]);
  });

  it('lets the runner acknowledge each mail while the fetch is still under way', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    await deliverMails(user, 4);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials, { deadlines: SHORT_DEADLINES }));
    const listed = await source.listNew(null, { limit: 10 });
    let count = 0;
    for await (const mail of source.fetch(listed.messages)) {
      await source.acknowledge([mail.ref], 'markSeen');
      count++;
    }
    assert.equal(count, 4);
    assert.deepEqual(flagsOf(await listMessages(user)), [['\\Seen'], ['\\Seen'], ['\\Seen'], ['\\Seen']]);
  });

  it('fetches a large mail between small ones byte for byte, in order, without marking it seen', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const [first] = await deliverMails(user, 1);
    const big = testMail('a 3 MB mail');
    // Base64-like lines, and lines with a leading dot, across the 1 MiB pieces of the download.
    const body = Array.from({ length: 40_000 }, (_, i) => (i % 7 === 0 ? '.' : '') + `line ${i} `.padEnd(76, 'x')).join('\r\n');
    const bigRaw = big.raw + body + '\r\n';
    await deliver(user, bigRaw);
    const [last] = await deliverMails(user, 1);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials, { deadlines: { ...DEFAULT_DEADLINES, downloadMsPerMiB: 5000 } }));
    const listed = await source.listNew(null, { limit: 10 });
    assert.ok(listed.messages[1].size > 2 * 1024 * 1024, 'larger than one piece of the download');

    const fetched = await collect(source.fetch(listed.messages));
    assert.deepEqual(fetched.map((mail) => mail.ref.serverId), listed.messages.map((ref) => ref.serverId));
    assert.ok(fetched[0].raw.toString().includes(first.messageId));
    assert.equal(fetched[1].raw.toString(), bigRaw);
    assert.ok((fetched[1].raw as Buffer).buffer instanceof SharedArrayBuffer, 'shared with a parse worker without a copy');
    assert.ok(fetched[2].raw.toString().includes(last.messageId));
    assert.deepEqual(flagsOf(await listMessages(user)), [[], [], []], 'BODY.PEEK leaves \\Seen alone');
  });

  it('downloads a mail above spoolAboveBytes into a spool file, byte for byte, and keeps small ones in memory', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const [small] = await deliverMails(user, 1);
    const bigRaw = testMail('a 3 MB mail').raw + Array.from({ length: 40_000 }, (_, i) => (i % 7 === 0 ? '.' : '') + `line ${i} `.padEnd(76, 'x')).join('\r\n') + '\r\n';
    await deliver(user, bigRaw);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials, { spoolAboveBytes: 1024 * 1024, deadlines: { ...DEFAULT_DEADLINES, downloadMsPerMiB: 5000 } }));
    const [inMemory, spooled] = await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    assert.ok(Buffer.isBuffer(inMemory.raw) && inMemory.raw.toString().includes(small.messageId));
    assert.ok(isSpooled(spooled.raw), 'in a spool file, not in memory');
    assert.equal(readSpooled(spooled.raw).toString(), bigRaw);
    releaseBytes(spooled.raw);
  });
});

describe('ImapSource.sampleOldest', () => {
  it('returns the oldest mail and changes neither flags nor the message count', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const mails = await deliverMails(user, 3);
    await addFlags(user, 'INBOX', mails[1].uid, ['\\Flagged']);
    const before = await listMessages(user);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));

    const sample = await source.sampleOldest();
    assert.ok(sample);
    assert.ok(sample.raw.toString().includes(mails[0].messageId));
    assert.equal(sample.ref.size, before[0].size);
    assert.deepEqual(await listMessages(user), before);

    // The same connection can go on fetching (EXAMINE → SELECT).
    const listed = await source.listNew(null, { limit: 10 });
    assert.equal(listed.messages.length, 3);
  });

  it('downloads a large oldest mail in pieces into shared memory, byte for byte, marking nothing', async () => {
    const { user, credentials } = await dovecotPasswordUser('imap-source');
    const big = testMail('a 2 MB oldest mail');
    const bigRaw = big.raw + Array.from({ length: 30_000 }, (_, i) => (i % 5 === 0 ? '.' : '') + `line ${i} `.padEnd(76, 'y')).join('\r\n') + '\r\n';
    await deliver(user, bigRaw);
    await deliverMails(user, 1);
    const before = await listMessages(user);
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials, { deadlines: { ...DEFAULT_DEADLINES, downloadMsPerMiB: 5000 } }));

    const sample = await source.sampleOldest();
    assert.ok(sample);
    assert.ok(sample.ref.size > 2 * 1024 * 1024);
    assert.equal(sample.raw.toString(), bigRaw);
    assert.ok((sample.raw as Buffer).buffer instanceof SharedArrayBuffer, 'the streamed download, not one FETCH literal');
    assert.deepEqual(await listMessages(user), before);
  });

  it('answers null for an empty folder', async () => {
    const { credentials } = await dovecotPasswordUser('imap-source');
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials));
    assert.equal(await source.sampleOldest(), null);
  });
});

describe('ImapSource failures', () => {
  it('refuses a wrong password with AuthenticationError naming the user', async () => {
    const { user } = await dovecotPasswordUser('imap-source');
    const source = createMailSource(dovecotSourceOptions('imaps', { kind: 'password', username: user, password: 'wrong' }));
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, new RegExp(`^the server refused the password for ${user.replace(/[.+]/g, '\\$&')}`));
      return true;
    });
  });

  it('refuses a revoked token with AuthenticationError naming the token, leaving the refresh to SourceConnector', async () => {
    const { credentials, token, calls } = await dovecotOAuthUser('imap-oauth');
    await revoke(token);
    const source = createMailSource(dovecotSourceOptions('imaps', credentials));
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, /refused the OAuth2 access token/);
      return true;
    });
    assert.deepEqual(calls, [undefined], 'one login attempt, no refresh of its own');
  });

  it('reports a closed port as ConnectionError', async () => {
    const port = await freePort();
    const source = createMailSource({ ...dovecotSourceOptions('imaps', { kind: 'none' }), endpoint: { host: '127.0.0.1', port } });
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.message, `connection refused by 127.0.0.1:${port} — is the port right?`);
      return true;
    });
  });

  for (const protocol of ['imap', 'imaps'] as const) {
    it(`gives up on a ${protocol} server that accepts and never answers within the deadline`, async () => {
      const silent = await listenOnLoopback(createNetServer(() => undefined));
      const port = (silent.address() as { port: number }).port;
      const { credentials } = await dovecotPasswordUser('imap-source');
      const source = createMailSource({
        ...dovecotSourceOptions(protocol, credentials, { deadlines: SHORT_DEADLINES }),
        endpoint: { host: '127.0.0.1', port },
      });
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
    const { credentials } = await dovecotPasswordUser('imap-source');
    const untrusting = dovecotSourceOptions('imaps', credentials);
    const source = createMailSource({ ...untrusting, endpoint: { ...untrusting.endpoint, caCertificate: null } });
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof TlsError, String(err));
      assert.equal(err.message, 'certificate not trusted: self-signed certificate; set caCertificate to trust it');
      return true;
    });
    const trusting = await connectedSource(dovecotSourceOptions('imaps', credentials));
    assert.deepEqual((await trusting.listNew(null, { limit: 1 })).messages, []);
  });

  it('refuses a certificate other than the trusted one', async () => {
    const { credentials } = await dovecotPasswordUser('imap-source');
    const stranger = await listenOnLoopback(createTlsServer({ cert: env.untrustedCert.cert, key: env.untrustedCert.key }));
    try {
      const port = (stranger.address() as { port: number }).port;
      const source = createMailSource({ ...dovecotSourceOptions('imaps', credentials), endpoint: { host: '127.0.0.1', port, caCertificate: env.caCert } });
      await assert.rejects(source.connect(), TlsError);
    } finally {
      stranger.close();
    }
  });

  it('says whom the certificate is for when the host name does not match', async (t) => {
    // The trusted certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too.
    const server = createTlsServer({ cert: env.trustedCert.cert, key: env.trustedCert.key });
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '127.0.0.2', () => resolve(true));
    });
    if (!bound) return t.skip('127.0.0.2 is not available here');
    try {
      const port = (server.address() as { port: number }).port;
      const { credentials } = await dovecotPasswordUser('imap-source');
      const source = createMailSource({ ...dovecotSourceOptions('imaps', credentials), endpoint: { host: '127.0.0.2', port, caCertificate: env.caCert } });
      await assert.rejects(source.connect(), (err: unknown) => {
        assert.ok(err instanceof TlsError, String(err));
        assert.equal(err.message, 'certificate is for localhost, 127.0.0.1, not 127.0.0.2');
        return true;
      });
    } finally {
      server.close();
    }
  });

  it('says which folder does not exist', async () => {
    const { credentials } = await dovecotPasswordUser('imap-source');
    const source = await connectedSource(dovecotSourceOptions('imaps', credentials, { folder: 'Nope' }));
    await assert.rejects(source.listNew(null, { limit: 1 }), /folder "Nope" does not exist/);
  });
});

describe('ImapSource debug transcript', () => {
  for (const auth of ['password', 'oauth2'] as const) {
    it(`records both directions with the ${auth} login redacted`, async () => {
      const account = auth === 'password' ? await dovecotPasswordUser('imap-source') : await dovecotOAuthUser('imap-oauth');
      await deliverMails(account.user, 1);
      const lines: string[] = [];
      const source = await connectedSource(
        dovecotSourceOptions(auth === 'password' ? 'imap' : 'imaps', account.credentials, {
          transcript: (direction, line) => lines.push(`${direction === 'client' ? 'C' : 'S'}: ${line}`),
        }),
      );
      const listed = await source.listNew(null, { limit: 10 });
      await collect(source.fetch(listed.messages));
      await source.close();

      const text = lines.join('\n');
      assert.match(text, /^S: \* OK/m);
      assert.match(text, /^C: \S+ (UID )?SEARCH/m);
      assert.match(text, /^C: \S+ (LOGIN|AUTHENTICATE)/m);
      assert.match(text, /\[redacted\]/);
      const secret = 'password' in account ? account.password : account.token;
      assert.ok(!text.includes(secret), 'no secret in the transcript');
      if (auth === 'password') assert.match(text, /^C: \S+ STARTTLS/m);
      for (const line of lines.filter((l) => /AUTHENTICATE|LOGIN/.test(l) && l.startsWith('C:'))) {
        assert.match(line, /\[redacted\]$|AUTHENTICATE \S+$/);
      }
    });
  }
});

describe('ImapSource registry', () => {
  it('is what the registry builds for imap and imaps', () => {
    assert.ok(createMailSource(dovecotSourceOptions('imap', { kind: 'none' })) instanceof ImapSource);
  });
});

