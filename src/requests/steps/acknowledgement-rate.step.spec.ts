import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import { fakeEntityManager } from '../testing/fake-entity-manager';
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

async function run(target: RequestMail, sent: number) {
  const em = fakeEntityManager(() => [{ sent }]);
  await new AcknowledgementRateStep().run(target, { sideEffects: true, now: new Date('2026-11-20T10:00:00Z'), em });
  return { target, em };
}

describe('AcknowledgementRateStep', () => {
  it(`allows ${ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR} acknowledgements per requester per hour`, async () => {
    assert.equal((await run(mail(), ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR - 1)).target.acknowledgementRateLimited, false);
    assert.equal((await run(mail(), ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR)).target.acknowledgementRateLimited, true);
  });

  it('counts the acknowledgements of the last hour to that requester', async () => {
    const { em } = await run(mail(), 0);
    assert.deepEqual(em.queries[0].parameters, ['jane@example.org', new Date('2026-11-20T09:00:00Z')]);
  });

  it('does not look when nothing would be acknowledged anyway', async () => {
    for (const target of [
      mail({ thread: { requestId: 'r', requestNumber: 1, matchedBy: 'in-reply-to' } }),
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
