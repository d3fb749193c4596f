import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityManager } from 'typeorm';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import type { ParsedMail } from '../parsing/parsed-mail';
import type { Decision } from '../pipeline/inbound-mail';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import type { QuarantineEntry, QuarantineWriter } from '../quarantine/quarantine.writer';
import { RequestsMetrics } from '../requests.metrics';
import type { IncomingMessageWriter, MessageToWrite } from '../storage/incoming-message.writer';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { storeContext } from '../testing/lookup-steps';
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
    async write(_em: EntityManager, written: MessageToWrite[]) {
      if (options.messageFails) throw options.messageFails;
      return new Map(options.alreadyStored ? [] : written.map(({ mail }, index) => [mail, `message-row-${index}`]));
    },
  } as unknown as IncomingMessageWriter;
  const quarantines = {
    async keep(_em: EntityManager, entries: QuarantineEntry[]) {
      kept.push(...entries);
      return entries.map(() => 'quarantine-row');
    },
  } as unknown as QuarantineWriter;
  let next = 17;
  const em = fakeEntityManager((sql, parameters) => (sql.includes('nextval') ? Array.from({ length: parameters[0] as number }, () => ({ number: next++ })) : []));
  return { step: new StoreStep(messages, quarantines, metrics), em, kept, metrics };
}

describe('StoreStep', () => {
  it('creates the request and its first message', async () => {
    const { step, em, metrics } = harness();
    const mail = decided({});
    await step.run(mail, storeContext(em));
    const request = em.queries.find((query) => query.sql.startsWith('INSERT INTO "request"'))!.parameters;
    assert.deepEqual(mail.stored, { outcome: 'request', requestId: request[0], requestNumber: 17, rowId: 'message-row-0' });
    assert.deepEqual(request.slice(1), [17, 'Help', 'mb', 'Jane', 'jane@x.org']);
    assert.equal((await metrics.requestsCreated.get()).values[0].value, 1);
  });

  it('numbers the requests of a batch in mail order, and appends replies in the same statements', async () => {
    const { step, em } = harness();
    const first = decided({});
    const reply = decided({ outcome: 'append', request: 3 }, { identity: 'reply@x', thread: { requestId: 'r3', requestNumber: 3, matchedBy: 'in-reply-to' } });
    const second = decided({}, { identity: 'other@x' });
    await step.runAll([first, reply, second], storeContext(em));
    assert.deepEqual([first, reply, second].map((mail) => [mail.stored?.outcome, mail.stored?.requestNumber]), [['request', 17], ['appended', 3], ['request', 18]]);
    assert.equal(em.queries.filter((query) => query.sql.startsWith('INSERT INTO "request"')).length, 1, 'one INSERT for both requests');
    const touched = em.queries.find((query) => query.sql.startsWith('UPDATE request'))!.parameters;
    assert.deepEqual(touched, [['r3'], ['r3']], 'a person replying reopens the request');
  });

  it('reports a mail another process stored first (the de-duplication constraint refused it) as a duplicate, and creates no request', async () => {
    const { step, em, metrics } = harness({ alreadyStored: true });
    const mail = decided({});
    await step.run(mail, storeContext(em));
    assert.equal(mail.stored?.outcome, 'duplicate');
    assert.equal(em.queries.length, 0, 'no request');
    assert.equal((await metrics.duplicatesSuppressed.get()).values[0].value, 1);
  });

  it('lets any other database error through, for the fetch runner to quarantine', async () => {
    const { step, em } = harness({ messageFails: Object.assign(new Error('value too long'), { code: '22001' }) });
    await assert.rejects(step.run(decided({}), storeContext(em)), /value too long/);
  });

  it('keeps ignored and quarantined mail raw in quarantine, with the reason', async () => {
    const { step, em, kept, metrics } = harness();
    const bounce = decided({ outcome: 'ignored', rule: 'bounce', reason: 'Ignored, a bounce that names no known request.' }, { bounce: true });
    await step.run(bounce, storeContext(em));
    const loop = decided({ outcome: 'quarantine', rule: 'loop', reason: 'Quarantined (loop)' }, { quarantine: { reason: 'loop', detail: '6 mails…' } });
    await step.run(loop, storeContext(em));
    assert.deepEqual(kept.map((entry) => [entry.reason, entry.raw.toString()]), [['bounce', 'raw'], ['loop', 'raw']]);
    assert.equal(bounce.stored?.outcome, 'quarantined');
    assert.deepEqual((await metrics.quarantined.get()).values.map((v) => [v.labels.reason, v.value]), [['bounce', 1], ['loop', 1]]);
  });

  it('writes nothing in a dry run', async () => {
    const { step, em, kept } = harness();
    const mail = decided({});
    await step.run(mail, storeContext(em, { sideEffects: false }));
    assert.equal(mail.stored, undefined);
    assert.deepEqual([em.queries.length, kept.length], [0, 0]);
  });
});

describe('quarantineOf', () => {
  it('names ignored mail by what it is', () => {
    assert.equal(quarantineOf(decided({ outcome: 'ignored' }, { bounce: false, ownAddress: true })).reason, 'own address');
    assert.equal(quarantineOf(decided({ outcome: 'ignored' }, { bounce: true })).reason, 'bounce');
  });
});
