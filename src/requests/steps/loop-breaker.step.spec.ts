import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import type { ParsedMail } from '../parsing/parsed-mail';
import { newRequestMail, subjectKey, type RequestMail } from '../pipeline/request-mail';
import { RequestsMetrics } from '../requests.metrics';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { LoopBreakerStep } from './loop-breaker.step';

const MAILBOX = { id: 'mb', emailAddresses: [], incoming: { loopLimit: { count: 5, minutes: 60 } }, outgoing: null } as unknown as Mailbox;
const RECEIVED = new Date('2026-11-20T10:00:00Z');

function mail(subject: string): RequestMail {
  const result = newRequestMail(Buffer.from('x'), MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: RECEIVED });
  result.parsed = { subject } as ParsedMail;
  result.requester = { name: null, email: 'bot@example.org' };
  return result;
}

async function check(seen: number, sideEffects = true) {
  const metrics = new RequestsMetrics(new Metrics());
  const em = fakeEntityManager(() => [{ seen: String(seen) }]);
  const target = mail('Re: RE: [##12##] Your ticket');
  await new LoopBreakerStep(metrics).run(target, { sideEffects, now: new Date(), em });
  return { target, em, blocked: (await metrics.loopsBlocked.get()).values[0]?.value ?? 0 };
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
    const [mailboxId, requester, key, since, until] = em.queries[0].parameters as [string, string, string, Date, Date];
    assert.deepEqual([mailboxId, requester, key], ['mb', 'bot@example.org', subjectKey('your ticket')]);
    assert.equal(until.getTime(), RECEIVED.getTime());
    assert.equal(until.getTime() - since.getTime(), 60 * 60_000);
  });

  it('in a dry run says "loop" but writes and counts nothing', async () => {
    const { target, em, blocked } = await check(9, false);
    assert.equal(target.quarantine?.reason, 'loop');
    assert.equal(em.inserts.length, 0);
    assert.equal(blocked, 0);
  });
});
