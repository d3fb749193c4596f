import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { decideWith, storeContext } from '../testing/lookup-steps';
import { ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR, AcknowledgementRateStep } from './acknowledgement-rate.step';

const MAILBOX = { id: 'mb', emailAddresses: [], incoming: {}, outgoing: { acknowledge: true } } as unknown as Mailbox;

function mail(overrides: Partial<RequestMail> = {}, firstImport = false): RequestMail {
  return Object.assign(newRequestMail(Buffer.from('x'), MAILBOX, { firstImport, maxMailBytes: 1e6, receivedAt: null }), {
    requester: { name: null, email: 'jane@example.org' },
    thread: null,
    autoReply: { isAutoReply: false },
    ...overrides,
  });
}

async function run(target: RequestMail, sent: number, more: RequestMail[] = []) {
  const em = fakeEntityManager(() => [{ requester_email: 'jane@example.org', sent }]);
  await decideWith(new AcknowledgementRateStep(), [target, ...more], storeContext(em, { now: new Date('2026-11-20T10:00:00Z') }));
  return { target, em };
}

describe('AcknowledgementRateStep', () => {
  it(`allows ${ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR} acknowledgements per requester per hour`, async () => {
    assert.equal((await run(mail(), ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR - 1)).target.acknowledgementRateLimited, false);
    assert.equal((await run(mail(), ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR)).target.acknowledgementRateLimited, true);
  });

  it('counts the acknowledgements of the last hour to that requester', async () => {
    const { em } = await run(mail(), 0);
    assert.deepEqual(em.queries[0].parameters, [['jane@example.org'], new Date('2026-11-20T09:00:00Z')]);
  });

  it('counts an acknowledgement decided earlier in the same batch', async () => {
    const acknowledged = (target: RequestMail) => Object.assign(target, { decision: { acknowledge: true } });
    const first = mail();
    const second = mail();
    const third = mail();
    // decide's verdict stands in for the decide step, which runs between this step and `remember`
    const step = new AcknowledgementRateStep();
    const em = fakeEntityManager(() => [{ requester_email: 'jane@example.org', sent: ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR - 2 }]);
    const context = storeContext(em);
    context.reads.set(step, await step.load([first, second, third], context));
    for (const target of [first, second, third]) {
      await step.run(target, context);
      context.reads.remember(acknowledged(target), context);
    }
    assert.deepEqual([first, second, third].map((target) => target.acknowledgementRateLimited), [false, false, true]);
    assert.equal(em.queries.length, 1, 'one query for the batch');
  });

  it('does not limit a reply: it is never acknowledged', async () => {
    const { target } = await run(mail({ thread: { requestId: 'r', requestNumber: 1, matchedBy: 'in-reply-to' } }), 99);
    assert.equal(target.acknowledgementRateLimited, undefined);
  });

  it('does not look when nothing would be acknowledged anyway', async () => {
    for (const target of [
      mail({ autoReply: { isAutoReply: true, rule: 'auto-submitted', reason: 'Auto-Submitted: auto-replied' } }),
      mail({}, true),
      mail({ requester: null }),
    ]) {
      const { em } = await run(target, 99);
      assert.equal(em.queries.length, 0);
      assert.equal(target.acknowledgementRateLimited, undefined);
    }
  });
});
