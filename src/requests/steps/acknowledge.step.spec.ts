import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import type { Outbox, OutgoingMail } from '../../outgoing/outbox.port';
import { Message } from '../entities/message.entity';
import type { ParsedMail } from '../parsing/parsed-mail';
import type { Decision } from '../pipeline/inbound-mail';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import { OutgoingMessageWriter } from '../replies/outgoing-message.writer';
import { RequestsMetrics } from '../requests.metrics';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { AcknowledgeStep } from './acknowledge.step';

const MAILBOX = {
  id: 'mb',
  name: 'Support',
  emailAddresses: ['support@desk.example'],
  incoming: {},
  outgoing: { acknowledge: true, senderName: 'Example Support', senderAddress: 'support@desk.example' },
} as unknown as Mailbox;

function newRequest(decision: Partial<Decision> = {}): RequestMail {
  const mail = newRequestMail(Buffer.from('raw'), MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
  return Object.assign(mail, {
    parsed: { subject: 'Printer on fire', messageId: 'q1@customer.example', references: [], inReplyTo: null } as unknown as ParsedMail,
    requester: { name: 'Jane', email: 'jane@customer.example' },
    decision: { outcome: 'new request', request: null, rule: 'new-thread', autoReply: false, reason: '', requester: null, acknowledge: true, acknowledgementSuppressedBy: null, ...decision },
    stored: { outcome: 'request', requestId: 'r1', requestNumber: 42, rowId: 'm1' },
  } satisfies Partial<RequestMail>);
}

function harness(enqueue: (mail: OutgoingMail) => Promise<{ id: string; messageId: string; raw: Buffer }>) {
  const queued: OutgoingMail[] = [];
  const outbox: Outbox = {
    enqueue: async (_em, mail) => {
      queued.push(mail);
      return enqueue(mail);
    },
  };
  const metrics = new RequestsMetrics(new Metrics());
  const step = new AcknowledgeStep(new OutgoingMessageWriter(outbox), metrics, { warn: () => undefined } as never);
  return { step, queued, metrics, em: fakeEntityManager() };
}

describe('AcknowledgeStep', () => {
  it('queues the acknowledgement of a new request as an auto-reply in the thread, and stores it as an outgoing message', async () => {
    const { step, queued, em, metrics } = harness(async () => ({ id: 'o1', messageId: 'ack1@desk.example', raw: Buffer.alloc(0) }));
    const mail = newRequest();
    await step.run(mail, { sideEffects: true, now: new Date(), em });
    assert.equal(queued.length, 1);
    const [ack] = queued;
    assert.deepEqual(
      [ack.kind, ack.requestId, ack.to, ack.subject, ack.inReplyTo, ack.references, ack.autoReply],
      ['acknowledgement', 'r1', [{ name: 'Jane', email: 'jane@customer.example' }], '[##42##] Re: Printer on fire', 'q1@customer.example', ['q1@customer.example'], true],
    );
    assert.match(ack.text, /request #42/);
    assert.match(ack.text, /\[##42##\]/);
    const stored = em.inserts.find((insert) => insert.target === Message)!.values as Record<string, unknown>;
    assert.deepEqual([stored.direction, stored.kind, stored.messageId, stored.identity, stored.autoReply], ['out', 'acknowledgement', 'ack1@desk.example', 'ack1@desk.example', true]);
    assert.deepEqual(mail.acknowledgement, { outboxId: 'o1', messageId: 'ack1@desk.example' });
    assert.equal((await metrics.acknowledgementsQueued.get()).values[0].value, 1);
  });

  it('counts a suppressed acknowledgement by the rule that suppressed it', async () => {
    const { step, queued, em, metrics } = harness(async () => ({ id: 'o', messageId: 'm', raw: Buffer.alloc(0) }));
    await step.run(newRequest({ acknowledge: false, acknowledgementSuppressedBy: 'precedence' }), { sideEffects: true, now: new Date(), em });
    assert.equal(queued.length, 0);
    assert.deepEqual((await metrics.acknowledgementsSuppressed.get()).values.map((v) => [v.labels.rule, v.value]), [['precedence', 1]]);
  });

  it('keeps the request when the acknowledgement cannot be queued, and says so in the mailbox log', async () => {
    const { step, em } = harness(async () => {
      throw new Error('outgoing.senderAddress is required to send mail');
    });
    const mail = newRequest();
    await step.run(mail, { sideEffects: true, now: new Date(), em });
    assert.equal(mail.acknowledgement, null);
    const log = em.inserts.find((insert) => insert.target === MailboxLogEntry)!.values as Record<string, string>;
    assert.match(log.message, /request #42 was created, but its acknowledgement could not be queued: outgoing\.senderAddress is required/);
  });

  it('queues nothing in a dry run', async () => {
    const { step, queued, em } = harness(async () => ({ id: 'o', messageId: 'm', raw: Buffer.alloc(0) }));
    await step.run(newRequest(), { sideEffects: false, now: new Date(), em });
    assert.deepEqual([queued.length, em.inserts.length], [0, 0]);
  });
});
