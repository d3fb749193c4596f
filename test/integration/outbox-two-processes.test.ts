import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { waitUntil } from '../support/mailboxes';
import type { ApiClient } from '../support/service';
import { allMessageIds, assertEachOnce, closedMailbox, openMailbox, queueTestMails, sleep, startCluster, total, type Cluster } from './outbox-processes.fixture';

describe('two processes on one PostgreSQL database share one outbox', { timeout: 120_000 }, () => {
  let cluster: Cluster | undefined;
  after(async () => cluster?.close());

  it('sends a queue of 200 with each mail exactly once, both processes doing part of the work', async (t) => {
    cluster = await startCluster();
    const { receiver, spawn } = cluster;
    const [a, b] = await Promise.all([spawn(), spawn()]);
    const mailboxId = await closedMailbox(a.api, receiver.port);
    await queueTestMails([a.api, b.api], mailboxId, 200);
    assert.equal(await total(b.api, 'queued'), 200);

    // A small delay per mail, so neither process can drain the queue alone before the other claims.
    receiver.mode = { kind: 'accept', delayMs: 10 };
    await openMailbox(a.api, mailboxId);
    await waitUntil(async () => (await total(a.api, 'sent')) === 200, 40_000, 'all 200 sent');
    await sleep(1_500);
    assertEachOnce(receiver.accepted, await allMessageIds(b.api));

    const sentBy = async (api: ApiClient) => {
      const metrics: string = (await api.get('/metrics')).body;
      return Number(/deskmail_outbox_sends_total\{server="primary",result="sent"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    const [byA, byB] = [await sentBy(a.api), await sentBy(b.api)];
    t.diagnostic(`sent by process a: ${byA}, by process b: ${byB}`);
    assert.equal(byA + byB, 200);
    assert.ok(byA > 0 && byB > 0, `both processes sent (a: ${byA}, b: ${byB})`);
  });
});
