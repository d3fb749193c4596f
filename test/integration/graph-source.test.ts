// GraphSource (@microsoft/microsoft-graph-client) against the Graph emulator: the sample,
// listing, fetching and each after-fetch action, the delta cursor across restarts, paging.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ProtocolError } from '../../src/core/errors';
import { isSpooled, readSpooled, releaseBytes } from '../../src/core/spool/spooled-bytes';
import { GraphSource } from '../../src/incoming/adapters/graph/graph.source';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import type { MailRef, MailSource, MailSourceOptions, SourceCursor } from '../../src/incoming/mail-source.port';
import { testEnv } from '../support/env';
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator';
import { TEST_DEADLINES, collect, numberedMail, oauthAccount, type OAuthAccount } from '../support/graph-emulator-testkit';
import { buildTestMail, threeMegabyteMail } from '../support/mail';
import { openSpoolFiles } from '../support/spool';

const env = testEnv();
let graph: GraphEmulator;
const open: MailSource[] = [];

before(async () => {
  graph = await startGraphEmulator(env.trustedCert, env.auth);
});
after(async () => {
  await Promise.all(open.map((source) => source.close()));
  await graph.close();
});

function options(account: OAuthAccount, extra: Partial<MailSourceOptions> = {}): MailSourceOptions {
  return {
    protocol: 'graph',
    endpoint: { host: '', port: 0, caCertificate: env.caCert },
    connectUrl: graph.url,
    credentials: account.credentials,
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

function deliver(address: string, count: number, folder = 'inbox'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const mail = numberedMail(i + 1);
    graph.addMessage(address, mail.raw, { folder });
    return mail.messageId;
  });
}

const isOldestFirst = (refs: MailRef[]) => refs.every((ref, i) => i === 0 || ref.receivedAt!.getTime() >= refs[i - 1].receivedAt!.getTime());

describe('GraphSource lists, fetches and acknowledges', () => {
  it('lists oldest first (delta answers newest first), fetches $value without marking read, marks read on acknowledge', async () => {
    const account = await oauthAccount('graph-');
    const ids = deliver(account.address, 3);
    const source = await connected(options(account));

    const listed = await source.listNew(null, { limit: 10 });
    assert.equal(listed.cursorReset, false);
    const stored = graph.messages(account.address);
    assert.deepEqual(listed.messages.map((ref) => ref.serverId), stored.map((m) => m.id));
    assert.deepEqual(listed.messages.map((ref) => ref.size), stored.map((m) => m.raw.length), 'size from PR_MESSAGE_SIZE');
    assert.ok(listed.cursor?.deltaLink, 'a complete round ends with a deltaLink');

    const fetched = await collect(source.fetch(listed.messages));
    assert.deepEqual(fetched.map((mail) => mail.raw.toString()), stored.map((m) => m.raw.toString()));
    assert.ok(fetched[2].raw.toString().includes(ids[2]));
    assert.deepEqual(graph.messages(account.address).map((m) => m.isRead), [false, false, false]);

    await source.acknowledge(listed.messages.slice(0, 2), 'markRead');
    assert.deepEqual(graph.messages(account.address).map((m) => m.isRead), [true, true, false]);
  });

  it('streams $value into a spool file above spoolAboveBytes, byte for byte (gzip from Graph undone on the way), small mails in memory', async () => {
    const account = await oauthAccount('graph-');
    const [small] = deliver(account.address, 1);
    const big = threeMegabyteMail();
    graph.addMessage(account.address, big.raw);
    const spoolsBefore = openSpoolFiles();
    const source = await connected(options(account, { spoolAboveBytes: 1024 * 1024 }));
    const [inMemory, spooled] = await collect(source.fetch((await source.listNew(null, { limit: 10 })).messages));
    assert.ok(Buffer.isBuffer(inMemory.raw) && inMemory.raw.toString().includes(small));
    assert.ok(isSpooled(spooled.raw), 'in a spool file, not in memory');
    assert.equal(readSpooled(spooled.raw).toString(), big.raw);
    assert.ok(graph.requests.some((request) => request.operation === 'message/$value'), 'downloaded through the emulator');
    releaseBytes(spooled.raw);
    assert.equal(openSpoolFiles(), spoolsBefore);
  });

  it('a throttled $value download is retried and spooled once; its error answer never reaches a spool file', async () => {
    const account = await oauthAccount('graph-');
    const big = buildTestMail({ subject: 'throttled', body: 'y'.repeat(300_000) });
    graph.addMessage(account.address, big.raw);
    const spoolsBefore = openSpoolFiles();
    const source = await connected(options(account, { spoolAboveBytes: 64 * 1024 }));
    const listed = await source.listNew(null, { limit: 10 });
    graph.injectFault({ status: 503, retryAfter: 0, operation: 'message/$value' });
    const requestsBefore = graph.requests.length;
    const [mail] = await collect(source.fetch(listed.messages));
    assert.ok(isSpooled(mail.raw));
    assert.equal(readSpooled(mail.raw).toString(), big.raw);
    assert.deepEqual(graph.requests.slice(requestsBefore).filter((r) => r.operation === 'message/$value').map((r) => r.status), [503, 200]);
    releaseBytes(mail.raw);
    assert.equal(openSpoolFiles(), spoolsBefore);
  });

  it('moves acknowledged mail to moveTo (a path or a well-known folder), and says so when it does not exist', async () => {
    const account = await oauthAccount('graph-mv-');
    deliver(account.address, 3);
    graph.createFolder(account.address, 'Inbox/Processed');
    const source = await connected(options(account));
    const listed = await source.listNew(null, { limit: 10 });

    await source.acknowledge([listed.messages[0]], 'move', { moveTo: 'Inbox/Processed' });
    await source.acknowledge([listed.messages[1]], 'move', { moveTo: 'Archive' });
    assert.equal(graph.messages(account.address).length, 1);
    assert.equal(graph.messages(account.address, 'Inbox/Processed').length, 1);
    assert.equal(graph.messages(account.address, 'archive').length, 1);

    await assert.rejects(source.acknowledge([listed.messages[2]], 'move', { moveTo: 'Inbox/Procesed' }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.match(err.message, /^folder "Inbox\/Procesed" does not exist in /);
      return true;
    });
  });

  it('deletes acknowledged mail into Deleted Items, and skips mail someone else removed meanwhile', async () => {
    const account = await oauthAccount('graph-del-');
    deliver(account.address, 2);
    const source = await connected(options(account));
    const listed = await source.listNew(null, { limit: 10 });
    graph.store.mailbox(account.address).remove(listed.messages[1].serverId);
    await source.acknowledge(listed.messages, 'delete');
    assert.equal(graph.messages(account.address).length, 0);
    assert.equal(graph.messages(account.address, 'deleteditems').length, 1);
    assert.deepEqual(await collect(source.fetch([listed.messages[1]])), [], 'a vanished message is not fetched');
  });

  it('reads a folder given by path', async () => {
    const account = await oauthAccount('graph-path-');
    graph.createFolder(account.address, 'Support/Tier 2');
    deliver(account.address, 2, 'Support/Tier 2');
    deliver(account.address, 1);
    const source = await connected(options(account, { folder: 'Support/Tier 2' }));
    assert.equal((await source.listNew(null, { limit: 10 })).messages.length, 2);
    await assert.rejects(connected(options(account, { folder: 'Nope' })), /folder "Nope" does not exist/);
  });
});

describe('GraphSource.sampleOldest', () => {
  it('returns the oldest mail and changes neither isRead nor the message count', async () => {
    const account = await oauthAccount('graph-sample-');
    const ids = deliver(account.address, 3);
    const source = await connected(options(account));
    const sample = await source.sampleOldest();
    assert.ok(sample);
    assert.ok(sample.raw.toString().includes(ids[0]));
    assert.equal(sample.ref.size, graph.messages(account.address)[0].raw.length);
    assert.deepEqual(graph.messages(account.address).map((m) => m.isRead), [false, false, false]);
    assert.equal(graph.count('message/patch', account.address), 0);
  });

  it('answers null for an empty folder', async () => {
    const account = await oauthAccount('graph-empty-');
    assert.equal(await (await connected(options(account))).sampleOldest(), null);
  });
});

describe('GraphSource delta cursor', () => {
  it('survives a restart: a new adapter with the stored deltaLink sees only new mail, once', async () => {
    const account = await oauthAccount('graph-cur-');
    deliver(account.address, 3);
    const first = await connected(options(account));
    const listed = await first.listNew(null, { limit: 10 });
    await collect(first.fetch(listed.messages));
    await first.acknowledge(listed.messages, 'markRead');
    const stored = JSON.parse(JSON.stringify(listed.messages.at(-1)!.cursorAfter)) as SourceCursor;
    await first.close();

    const later = graph.addMessage(account.address, numberedMail(4).raw);
    const second = await connected(options(account));
    const again = await second.listNew(stored, { limit: 10 });
    assert.deepEqual(again.messages.map((ref) => ref.serverId), [later], 'changeType=created: our read flags are no news');
    assert.deepEqual((await second.listNew(again.messages[0].cursorAfter, { limit: 10 })).messages, []);
  });

  it('resumes inside a round from the stored nextLink', async () => {
    const account = await oauthAccount('graph-next-');
    deliver(account.address, 5);
    const source = await connected(options(account));
    const first = await source.listNew(null, { limit: 2 });
    assert.ok(typeof first.cursor?.nextLink === 'string');
    const rest = await source.listNew(first.messages.at(-1)!.cursorAfter, { limit: 10 });
    assert.equal(first.messages.length + rest.messages.length, 5);
    assert.equal(new Set([...first.messages, ...rest.messages].map((r) => r.serverId)).size, 5);
  });

  it('starts a new round when the delta token expired (410 Gone)', async () => {
    const account = await oauthAccount('graph-410-');
    deliver(account.address, 2);
    const source = await connected(options(account));
    const listed = await source.listNew(null, { limit: 10 });
    graph.expireDeltaTokens();
    const again = await source.listNew(listed.cursor, { limit: 10 });
    assert.equal(again.cursorReset, true);
    assert.equal(again.messages.length, 2, 'the ledger recognises them as already taken');
  });

  it('never follows a stored link to another host: the round starts over on connectUrl', async () => {
    const account = await oauthAccount('graph-host-');
    deliver(account.address, 1);
    const source = await connected(options(account));
    const listed = await source.listNew({ deltaLink: 'https://graph.attacker.example/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=x', nextLink: null }, { limit: 10 });
    assert.equal(listed.cursorReset, true);
    assert.equal(listed.messages.length, 1);
  });

  it('starts a new round for a cursor made for another folder (the admin changed the folder)', async () => {
    const account = await oauthAccount('graph-fold-');
    graph.createFolder(account.address, 'Support');
    deliver(account.address, 1, 'Support');
    deliver(account.address, 2);
    const inbox = await connected(options(account));
    const inboxCursor = (await inbox.listNew(null, { limit: 10 })).cursor;
    const support = await connected(options(account, { folder: 'Support' }));
    const listed = await support.listNew(inboxCursor, { limit: 10 });
    assert.equal(listed.cursorReset, true);
    assert.equal(listed.messages.length, 1);
  });

  it('pages past 1,000 messages with nextLink, every message exactly once', async () => {
    const account = await oauthAccount('graph-big-');
    const total = 1_205;
    for (let i = 0; i < total; i++) graph.addMessage(account.address, numberedMail(i + 1).raw);
    const source = await connected(options(account));
    const listed = await source.listNew(null, { limit: 1_500 });
    assert.equal(listed.messages.length, total);
    assert.equal(new Set(listed.messages.map((r) => r.serverId)).size, total);
    assert.ok(isOldestFirst(listed.messages));
    assert.equal(graph.count('messages/delta', account.address), 2, 'a page of 1,000 and one of 205');
    const fetched = await collect(source.fetch(listed.messages));
    assert.equal(fetched.length, total);
    assert.deepEqual((await source.listNew(listed.cursor, { limit: 500 })).messages, []);
  });

  it('in batches of 500, each batch oldest first and nothing twice', async () => {
    const account = await oauthAccount('graph-batch-');
    for (let i = 0; i < 1_001; i++) graph.addMessage(account.address, numberedMail(i + 1).raw);
    const source = await connected(options(account));
    const seen = new Set<string>();
    let cursor: SourceCursor | null = null;
    for (;;) {
      const listed = await source.listNew(cursor, { limit: 500 });
      assert.ok(isOldestFirst(listed.messages));
      for (const ref of listed.messages) assert.ok(!seen.has(ref.serverId)), seen.add(ref.serverId);
      cursor = listed.messages.at(-1)?.cursorAfter ?? listed.cursor;
      if (listed.messages.length === 0) break;
    }
    assert.equal(seen.size, 1_001);
  });
});

describe('GraphSource registry', () => {
  it('is what the registry builds for graph', async () => {
    assert.ok(createMailSource(options(await oauthAccount('graph-reg-'))) instanceof GraphSource);
  });
});
