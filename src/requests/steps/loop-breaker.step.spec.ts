import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import type { ParsedMail } from '../parsing/parsed-mail';
import { newRequestMail, subjectKey, type RequestMail } from '../pipeline/request-mail';
import { RequestsMetrics } from '../requests.metrics';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { decideWith, storeContext } from '../testing/lookup-steps';
import { LoopBreakerStep } from './loop-breaker.step';

const MAILBOX = { id: 'mb', emailAddresses: [], incoming: { loopLimit: { count: 5, minutes: 60 } }, outgoing: null } as unknown as Mailbox;
const RECEIVED = new Date('2026-11-20T10:00:00Z');

function mail(subject: string): RequestMail {
  const result = newRequestMail(Buffer.from('x'), MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: RECEIVED });
  result.parsed = { subject } as ParsedMail;
  result.requester = { name: null, email: 'bot@example.org' };
  return result;
}

/** `seen` mails of the same requester and subject kept in the window, minutes before RECEIVED. */
async function check(seen: number, sideEffects = true, batch: RequestMail[] = [mail('Re: RE: [##12##] Your ticket')]) {
  const metrics = new RequestsMetrics(new Metrics());
  const kept = Array.from({ length: seen }, (_, i) => ({ requester_email: 'bot@example.org', subject_key: subjectKey('your ticket'), received_at: new Date(RECEIVED.getTime() - (i + 1) * 60_000) }));
  const em = fakeEntityManager(() => kept);
  await decideWith(new LoopBreakerStep(metrics), batch, storeContext(em, { sideEffects }));
  return { target: batch.at(-1)!, em, blocked: (await metrics.loopsBlocked.get()).values[0]?.value ?? 0 };
}

describe('LoopBreakerStep', () => {
  it('lets the loopLimit.count-th mail through', async () => {
    const { target, em } = await check(4);
    assert.equal(target.quarantine, undefined);
    assert.equal(em.inserts.length, 0);
  });

  it('quarantines the mail after loopLimit.count ones with reason "loop", a log entry and a metric', async () => {
    const { target, em, blocked } = await check(5);
    assert.equal(target.quarantine?.reason, 'loop');
    assert.match(target.quarantine!.detail, /6 mails from bot@example\.org with the subject "your ticket" within 60 minutes; this mailbox accepts at most 5/);
    assert.equal(em.inserts.length, 1);
    assert.equal(em.inserts[0].target, MailboxLogEntry);
    assert.equal(blocked, 1);
  });

  it('counts by requester, normalized subject and the window before the server receive time', async () => {
    const { em } = await check(0);
    const [mailboxId, requesters, keys, since, until] = em.queries[0].parameters as [string, string[], string[], Date, Date];
    assert.deepEqual([mailboxId, requesters, keys], ['mb', ['bot@example.org'], [subjectKey('your ticket')]]);
    assert.equal(until.getTime(), RECEIVED.getTime());
    assert.equal(until.getTime() - since.getTime(), 60 * 60_000);
  });

  it('counts the mails kept earlier in the same batch, and only those in the window', async () => {
    const batch = Array.from({ length: 7 }, () => mail('Your ticket'));
    const { em } = await check(3, true, batch);
    assert.deepEqual(batch.map((m) => m.quarantine?.reason ?? 'ok'), ['ok', 'ok', 'loop', 'loop', 'loop', 'loop', 'loop']);
    assert.equal(em.queries.length, 1, 'one query for the batch');
    const outside = [{ requester_email: 'bot@example.org', subject_key: subjectKey('your ticket'), received_at: new Date(RECEIVED.getTime() - 61 * 60_000) }];
    const late = mail('Your ticket');
    await decideWith(new LoopBreakerStep(new RequestsMetrics(new Metrics())), [late], storeContext(fakeEntityManager(() => outside.concat(outside, outside, outside, outside))));
    assert.equal(late.quarantine, undefined, 'mails older than loopLimit.minutes do not count');
  });

  it('in a dry run says "loop" but writes and counts nothing', async () => {
    const { target, em, blocked } = await check(9, false);
    assert.equal(target.quarantine?.reason, 'loop');
    assert.equal(em.inserts.length, 0);
    assert.equal(blocked, 0);
  });
});
