// EwsSource (ews-javascript-api) against the EWS emulator: the sample, listing, fetching and
// each after-fetch action, the SyncFolderItems cursor across restarts, and big folders.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ProtocolError } from '../../src/core/errors';
import { isSpooled, readSpooled, releaseBytes } from '../../src/core/spool/spooled-bytes';
import type { Credentials } from '../../src/core/net/connection-options';
import { EwsSource } from '../../src/incoming/adapters/ews/ews.source';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import type { MailRef, MailSource, MailSourceOptions, SourceCursor } from '../../src/incoming/mail-source.port';
import { testEnv } from '../support/env';
import { startEwsEmulator, type EwsEmulator } from '../support/ews-emulator';
import { TEST_DEADLINES, collect, numberedMail, oauthAccount } from '../support/graph-emulator-testkit';
import { buildTestMail, threeMegabyteMail } from '../support/mail';
import { openSpoolFiles } from '../support/spool';
import { uniqueId } from '../support/tmp';

const env = testEnv();
let ews: EwsEmulator;
const open: MailSource[] = [];

before(async () => {
  ews = await startEwsEmulator(env.trustedCert, env.auth);
});
after(async () => {
  await Promise.all(open.map((source) => source.close()));
  await ews.close();
});

function options(credentials: Credentials, extra: Partial<MailSourceOptions> = {}): MailSourceOptions {
  return {
    protocol: 'ews',
    endpoint: { host: '', port: 0, caCertificate: env.caCert },
    connectUrl: ews.url,
    credentials,
    folder: 'INBOX',
    deadlines: TEST_DEADLINES,
    ...extra,
  };
}

async function connected(opts: MailSourceOptions): Promise<MailSource> {
  const source = createMailSource(opts);
  open.push(source);
  await source.connect();
  return source;
}

/** A password account (on-premises Basic), the cheapest way to a mailbox. */
function passwordAccount(): { address: string; credentials: Credentials } {
  const address = `${uniqueId('ews-')}@example.test`;
  ews.setPassword(address, 'secret-1');
  return { address, credentials: { kind: 'password', username: address, password: 'secret-1' } };
}

function deliver(address: string, count: number, folder = 'inbox'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const mail = numberedMail(i + 1);
    ews.addMessage(address, mail.raw, { folder });
    return mail.messageId;
  });
}

async function drain(source: MailSource, cursor: SourceCursor | null, limit: number): Promise<{ refs: MailRef[]; cursor: SourceCursor | null; batches: number }> {
  const refs: MailRef[] = [];
  let batches = 0;
  for (;;) {
    const listed = await source.listNew(cursor, { limit });
    batches += 1;
    refs.push(...listed.messages);
    cursor = listed.messages.at(-1)?.cursorAfter ?? listed.cursor;
    if (listed.messages.length === 0) return { refs, cursor, batches };
  }
}

describe('EwsSource lists, fetches and acknowledges', () => {
  for (const auth of ['password', 'oauth2'] as const) {
    it(`with ${auth}: lists oldest first, fetches the MIME without marking read, marks read on acknowledge`, async () => {
      const account = auth === 'password' ? passwordAccount() : await oauthAccount('ews-oauth-');
      const ids = deliver(account.address, 3);
      const source = await connected(options(account.credentials));

      const listed = await source.listNew(null, { limit: 10 });
      assert.equal(listed.cursorReset, false);
      const stored = ews.messages(account.address);
      assert.deepEqual(listed.messages.map((ref) => ref.serverId), stored.map((m) => m.id));
      assert.deepEqual(listed.messages.map((ref) => ref.size), stored.map((m) => m.raw.length));
      assert.ok(listed.messages.every((ref) => ref.receivedAt instanceof Date));

      const fetched = await collect(source.fetch(listed.messages));
      assert.deepEqual(fetched.map((mail) => mail.raw.toString()), stored.map((m) => m.raw.toString()));
      assert.ok(fetched[0].raw.toString().includes(ids[0]));
      assert.deepEqual(ews.messages(account.address).map((m) => m.isRead), [false, false, false], 'GetItem leaves IsRead alone');

      await source.acknowledge(listed.messages.slice(0, 2), 'markRead');
      assert.deepEqual(ews.messages(account.address).map((m) => m.isRead), [true, true, false]);
    });
  }

  it('decodes MimeContent as the answer arrives: a big mail into a spool file byte for byte, a small one in memory', async () => {
    const { address, credentials } = passwordAccount();
    const [small] = deliver(address, 1);
    const big = threeMegabyteMail();
    ews.addMessage(address, big.raw);
    const spoolsBefore = openSpoolFiles();
    const source = await connected(options(credentials, { spoolAboveBytes: 1024 * 1024 }));
    const [inMemory, spooled] = await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    assert.ok(Buffer.isBuffer(inMemory.raw) && inMemory.raw.toString().includes(small));
    assert.ok(isSpooled(spooled.raw), 'in a spool file, not in memory');
    assert.equal(readSpooled(spooled.raw).toString(), big.raw);
    releaseBytes(spooled.raw);
    assert.equal(openSpoolFiles(), spoolsBefore);
  });

  it('gives back the spool files of mails a stopped run did not take', async () => {
    const { address, credentials } = passwordAccount();
    for (const n of [1, 2, 3]) ews.addMessage(address, buildTestMail({ subject: `big ${n}`, body: 'y'.repeat(300_000) }).raw);
    const spoolsBefore = openSpoolFiles();
    const source = await connected(options(credentials, { spoolAboveBytes: 64 * 1024 }));
    const refs = (await source.listNew(null, { limit: 10 })).messages;
    for await (const first of source.fetch(refs)) {
      assert.ok(isSpooled(first.raw));
      assert.equal(openSpoolFiles(), spoolsBefore + 3, 'all three arrived in one GetItem');
      releaseBytes(first.raw);
      break; // the runner stopped: the other two were never taken
    }
    assert.equal(openSpoolFiles(), spoolsBefore);
  });

  it('moves acknowledged mail to moveTo (a folder path), and says so when it does not exist', async () => {
    const { address, credentials } = passwordAccount();
    const ids = deliver(address, 3);
    ews.createFolder(address, 'Inbox/Processed');
    const source = await connected(options(credentials));
    const listed = await source.listNew(null, { limit: 10 });

    await source.acknowledge([listed.messages[0], listed.messages[2]], 'move', { moveTo: 'Inbox/Processed' });
    assert.deepEqual(ews.messages(address).map((m) => m.raw.toString().includes(ids[1])), [true]);
    assert.equal(ews.messages(address, 'Inbox/Processed').length, 2);

    await assert.rejects(source.acknowledge([listed.messages[1]], 'move', { moveTo: 'Inbox/Procesed' }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.match(err.message, /^folder "Inbox\/Procesed" does not exist in /);
      return true;
    });
  });

  it('deletes acknowledged mail into Deleted Items', async () => {
    const { address, credentials } = passwordAccount();
    deliver(address, 2);
    const source = await connected(options(credentials));
    const listed = await source.listNew(null, { limit: 10 });
    await source.acknowledge([listed.messages[0]], 'delete');
    assert.equal(ews.messages(address).length, 1);
    assert.equal(ews.messages(address, 'deleteditems').length, 1);
  });

  it('reads a folder given by path', async () => {
    const { address, credentials } = passwordAccount();
    ews.createFolder(address, 'Inbox/Support');
    deliver(address, 2, 'Inbox/Support');
    deliver(address, 1);
    const source = await connected(options(credentials, { folder: 'Inbox/Support' }));
    assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 2);
    await assert.rejects(connected(options(credentials, { folder: 'Nope' })), /folder "Nope" does not exist/);
  });
});

describe('EwsSource.sampleOldest', () => {
  it('returns the oldest mail and changes neither IsRead nor the message count', async () => {
    const { address, credentials } = passwordAccount();
    const ids = deliver(address, 3);
    const source = await connected(options(credentials));
    const sample = await source.sampleOldest();
    assert.ok(sample);
    assert.ok(sample.raw.toString().includes(ids[0]));
    assert.equal(sample.ref.size, ews.messages(address)[0].raw.length);
    assert.deepEqual(ews.messages(address).map((m) => m.isRead), [false, false, false]);
    assert.equal(ews.count('UpdateItem', address), 0);
  });

  it('answers null for an empty folder', async () => {
    const { credentials } = passwordAccount();
    assert.equal(await (await connected(options(credentials))).sampleOldest(), null);
  });
});

describe('EwsSource cursor', () => {
  it('survives a restart: a new adapter with the stored cursor sees only new mail, once', async () => {
    const { address, credentials } = passwordAccount();
    deliver(address, 3);
    const first = await connected(options(credentials));
    const listed = await first.listNew(null, { limit: 10 });
    await collect(first.fetch(listed.messages));
    await first.acknowledge(listed.messages, 'markRead');
    const stored = JSON.parse(JSON.stringify(listed.messages.at(-1)!.cursorAfter)) as SourceCursor;
    await first.close();

    const later = ews.addMessage(address, numberedMail(4).raw);
    const second = await connected(options(credentials));
    const again = await second.listNew(stored, { limit: 10 });
    assert.deepEqual(again.messages.map((ref) => ref.serverId), [later], 'the read flags set by the acknowledgement are no news');
    assert.deepEqual((await second.listNew(again.messages[0].cursorAfter, { limit: 10 })).messages, []);
  });

  it('a run stopped half way through a batch re-lists that batch (the ledger drops what was committed)', async () => {
    const { address, credentials } = passwordAccount();
    deliver(address, 3);
    const source = await connected(options(credentials));
    const listed = await source.listNew(null, { limit: 10 });
    const resumed = await source.listNew(listed.messages[0].cursorAfter, { limit: 10 });
    assert.deepEqual(resumed.messages.map((r) => r.serverId), listed.messages.map((r) => r.serverId));
  });

  it('starts over when the server no longer knows the sync state', async () => {
    const { address, credentials } = passwordAccount();
    deliver(address, 2);
    const source = await connected(options(credentials));
    const listed = await source.listNew({ syncState: Buffer.from('{"f":"elsewhere","s":1}').toString('base64') }, { limit: 10 });
    assert.equal(listed.cursorReset, true);
    assert.equal(listed.messages.length, 2);
  });

  it('pages through a folder of more than 1,000 messages, every message exactly once', async () => {
    const { address, credentials } = passwordAccount();
    const total = 1_205;
    for (let i = 0; i < total; i++) ews.addMessage(address, numberedMail(i + 1).raw);
    const source = await connected(options(credentials));
    const { refs, batches } = await drain(source, null, 500);
    assert.equal(refs.length, total);
    assert.equal(new Set(refs.map((r) => r.serverId)).size, total);
    assert.deepEqual(refs.map((r) => r.serverId), ews.messages(address).map((m) => m.id), 'oldest first across batches');
    assert.equal(batches, 4);
    const fetched = await collect(source.fetch(refs));
    assert.equal(fetched.length, total);
    assert.ok(ews.count('GetItem', address) <= 125, `GetItem batches: ${ews.count('GetItem', address)}`);
  });
});

describe('EwsSource registry', () => {
  it('is what the registry builds for ews', () => {
    assert.ok(createMailSource(options({ kind: 'none' })) instanceof EwsSource);
  });
});
