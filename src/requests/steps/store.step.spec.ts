import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityManager } from 'typeorm';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { Request } from '../entities/request.entity';
import type { ParsedMail } from '../parsing/parsed-mail';
import type { Decision } from '../pipeline/inbound-mail';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import type { QuarantineEntry, QuarantineWriter } from '../quarantine/quarantine.writer';
import { RequestsMetrics } from '../requests.metrics';
import type { IncomingMessageWriter } from '../storage/incoming-message.writer';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { quarantineOf, StoreStep } from './store.step';

const MAILBOX = { id: 'mb', emailAddresses: [], incoming: {}, outgoing: null } as unknown as Mailbox;

function decided(decision: Partial<Decision>, extra: Partial<RequestMail> = {}): RequestMail {
  const mail = newRequestMail(Buffer.from('raw'), MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
  return Object.assign(mail, {
    identity: 'id@x',
    parsed: { subject: 'Help', messageId: 'id@x', from: { name: 'Jane', email: 'jane@x.org' } } as ParsedMail,
    requester: { name: 'Jane', email: 'jane@x.org' },
    decision: { outcome: 'new request', request: null, rule: 'new-thread', autoReply: false, reason: 'new', requester: null, acknowledge: false, acknowledgementSuppressedBy: null, ...decision },
    ...extra,
  });
}

function harness(options: { messageFails?: unknown; alreadyStored?: boolean } = {}) {
  const metrics = new RequestsMetrics(new Metrics());
  const kept: QuarantineEntry[] = [];
  const messages = {
    async write() {
      if (options.messageFails) throw options.messageFails;
      return options.alreadyStored ? null : 'message-row';
    },
  } as unknown as IncomingMessageWriter;
  const quarantines = {
    async keep(_em: EntityManager, entry: QuarantineEntry) {
      kept.push(entry);
      return 'quarantine-row';
    },
  } as unknown as QuarantineWriter;
  const em = fakeEntityManager(() => [], (target) => (target === Request ? { number: 17 } : undefined));
  return { step: new StoreStep(messages, quarantines, metrics), em, kept, metrics };
}

describe('StoreStep', () => {
  it('creates the request and its first message', async () => {
    const { step, em, metrics } = harness();
    const mail = decided({});
    await step.run(mail, { sideEffects: true, now: new Date(), em });
    const request = em.inserts[0].values as Record<string, unknown>;
    assert.deepEqual(mail.stored, { outcome: 'request', requestId: request.id, requestNumber: 17, rowId: 'message-row' });
    assert.equal(request.requesterEmail, 'jane@x.org');
    assert.equal((await metrics.requestsCreated.get()).values[0].value, 1);
  });

  it('reports a mail another process stored first (the de-duplication constraint refused it) as a duplicate, and creates no request', async () => {
    const { step, em, metrics } = harness({ alreadyStored: true });
    const mail = decided({});
    await step.run(mail, { sideEffects: true, now: new Date(), em });
    assert.equal(mail.stored?.outcome, 'duplicate');
    assert.equal(em.inserts.length, 0, 'no request');
    assert.equal((await metrics.duplicatesSuppressed.get()).values[0].value, 1);
  });

  it('lets any other database error through, for the fetch runner to quarantine', async () => {
    const { step, em } = harness({ messageFails: Object.assign(new Error('value too long'), { code: '22001' }) });
    await assert.rejects(step.run(decided({}), { sideEffects: true, now: new Date(), em }), /value too long/);
  });

  it('keeps ignored and quarantined mail raw in quarantine, with the reason', async () => {
    const { step, em, kept, metrics } = harness();
    const bounce = decided({ outcome: 'ignored', rule: 'bounce', reason: 'Ignored, a bounce that names no known request.' }, { bounce: true });
    await step.run(bounce, { sideEffects: true, now: new Date(), em });
    const loop = decided({ outcome: 'quarantine', rule: 'loop', reason: 'Quarantined (loop)' }, { quarantine: { reason: 'loop', detail: '6 mails…' } });
    await step.run(loop, { sideEffects: true, now: new Date(), em });
    assert.deepEqual(kept.map((entry) => [entry.reason, entry.raw.toString()]), [['bounce', 'raw'], ['loop', 'raw']]);
    assert.equal(bounce.stored?.outcome, 'quarantined');
    assert.deepEqual((await metrics.quarantined.get()).values.map((v) => [v.labels.reason, v.value]), [['bounce', 1], ['loop', 1]]);
  });

  it('writes nothing in a dry run', async () => {
    const { step, em, kept } = harness();
    const mail = decided({});
    await step.run(mail, { sideEffects: false, now: new Date(), em });
    assert.equal(mail.stored, undefined);
    assert.deepEqual([em.inserts.length, kept.length], [0, 0]);
  });
});

describe('quarantineOf', () => {
  it('names ignored mail by what it is', () => {
    assert.equal(quarantineOf(decided({ outcome: 'ignored' }, { bounce: false, ownAddress: true })).reason, 'own address');
    assert.equal(quarantineOf(decided({ outcome: 'ignored' }, { bounce: true })).reason, 'bounce');
  });
});
