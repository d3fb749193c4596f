import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from 'pg';
import { waitUntil } from '../support/mailboxes';
import { allMessageIds, assertEachOnce, closedMailbox, openMailbox, queueTestMails, sleep, startCluster, total, type Cluster } from './outbox-processes.fixture';

describe('the outbox survives its process', { timeout: 120_000 }, () => {
  const clusters: Cluster[] = [];
  after(async () => {
    for (const cluster of clusters) await cluster.close();
  });
  const cluster = async () => {
    const started = await startCluster();
    clusters.push(started);
    return started;
  };

  it('kill -9 while 100 queued mails are being sent: after a restart each arrives exactly once', async () => {
    const { receiver, spawn } = await cluster();
    const first = await spawn();
    const mailboxId = await closedMailbox(first.api, receiver.port);
    await queueTestMails([first.api], mailboxId, 100);
    assert.equal(await total(first.api, 'queued'), 100);

    // Delivery starts; after 40 mails the receiver stops answering DATA, so the sender holds
    // rows it cannot finish. Once all 40 accepted mails are recorded as sent, nothing is
    // between a 250 and its commit (the one window where a crash may resend, see
    // OutboxDelivery.attempt): the kill lands while the rest is queued or in flight.
    receiver.mode = { kind: 'hang', after: 40 };
    await openMailbox(first.api, mailboxId);
    await waitUntil(async () => receiver.hanging > 0 && (await total(first.api, 'sent')) === 40, 40_000, '40 sent and a sender stuck in DATA');
    assert.equal(receiver.accepted.length, 40);
    await first.process.stop('SIGKILL');

    receiver.mode = { kind: 'accept' };
    const second = await spawn();
    // Rows the dead process held come back when its 3 s lease runs out.
    await waitUntil(async () => (await total(second.api, 'sent')) === 100, 40_000, 'all 100 sent after the restart');
    await sleep(1_500);
    assertEachOnce(receiver.accepted, await allMessageIds(second.api));
    assert.equal(await total(second.api, 'failed'), 0);
  });

  it('SIGTERM: sends in flight finish and are recorded, the rest goes back to the queue at once (no lease to wait out)', async () => {
    const { receiver, databaseUrl, spawn } = await cluster();
    const first = await spawn();
    const mailboxId = await closedMailbox(first.api, receiver.port);
    await queueTestMails([first.api], mailboxId, 60);
    receiver.mode = { kind: 'accept', delayMs: 100 };
    await openMailbox(first.api, mailboxId);
    await waitUntil(async () => receiver.accepted.length >= 5, 30_000, 'delivery under way');
    // Nest's shutdown hooks close the app (the sender finishes what it started), then the process ends.
    await first.process.stop('SIGTERM');
    assert.ok(!/"level":"(error|fatal)"/.test(first.process.output()), first.process.output());

    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM outbox_message GROUP BY status`);
      const count = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
      assert.equal(count('sending'), 0, JSON.stringify(rows));
      assert.equal(count('sent'), receiver.accepted.length, 'every mail the server took is recorded sent');
      assert.equal(count('queued'), 60 - receiver.accepted.length);
      const { rows: recounted } = await db.query(`SELECT count(*)::int AS n FROM outbox_message WHERE status = 'queued' AND attempts <> 1`);
      assert.equal(recounted[0].n, 0, 'mails handed back untried keep their attempt count');
    } finally {
      await db.end();
    }
  });
});
