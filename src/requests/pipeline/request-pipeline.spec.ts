import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics/metrics';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { RequestsMetrics } from '../requests.metrics';
import { AcknowledgeStep } from '../steps/acknowledge.step';
import { AcknowledgementRateStep } from '../steps/acknowledgement-rate.step';
import { DuplicateCheckStep } from '../steps/duplicate-check.step';
import { LoopBreakerStep } from '../steps/loop-breaker.step';
import { StoreStep } from '../steps/store.step';
import { ThreadStep } from '../steps/thread.step';
import { IncomingMessageWriter } from '../storage/incoming-message.writer';
import { QuarantineWriter } from '../quarantine/quarantine.writer';
import { OutgoingMessageWriter } from '../replies/outgoing-message.writer';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { newRequestMail } from './request-mail';
import { RequestPipeline } from './request-pipeline';
import { PrepareWorkerPool } from '../parsing/prepare-worker-pool';
import type { AppConfig } from '../../core/config/app-config';

function pipeline(): RequestPipeline {
  const metrics = new RequestsMetrics(new Metrics());
  const logger = { warn: () => undefined } as never;
  return new RequestPipeline(
    new DuplicateCheckStep(),
    new ThreadStep(),
    new LoopBreakerStep(metrics),
    new AcknowledgementRateStep(),
    new StoreStep(new IncomingMessageWriter(), new QuarantineWriter(), metrics),
    new AcknowledgeStep(new OutgoingMessageWriter(), metrics, logger),
    new PrepareWorkerPool({ parseWorkers: 0 } as AppConfig),
  );
}

const MAILBOX = { id: 'mb', name: 'Support', emailAddresses: ['support@example.com'], incoming: { createRequests: true, loopLimit: { count: 5, minutes: 60 } }, outgoing: { acknowledge: true } } as unknown as Mailbox;
const RAW = Buffer.from('From: Jane <jane@example.org>\r\nSubject: Help\r\nMessage-ID: <m1@example.org>\r\n\r\nPlease help.\r\n');

describe('RequestPipeline', () => {
  it('runs identify → loop check → thread → store → acknowledge, with the lookups in between, in one list', () => {
    assert.deepEqual(
      pipeline().entries.map((entry) => `${entry.phase}:${entry.step.name}`),
      [
        'prepare:parse',
        'prepare:identify',
        'prepare:loop-check',
        'prepare:thread-hints',
        'decide:duplicate-check',
        'decide:thread',
        'decide:loop-breaker',
        'decide:acknowledgement-rate',
        'decide:decide',
        'store:store',
        'store:acknowledge',
      ],
    );
  });

  it('prepares without a database: parse, identity, requester', async () => {
    const mail = newRequestMail(RAW, MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
    await pipeline().prepare(mail, { sideEffects: true, now: new Date() });
    assert.equal(mail.identity, 'm1@example.org');
    assert.deepEqual(mail.requester, { name: 'Jane', email: 'jane@example.org' });
    assert.equal(mail.decision, undefined);
  });

  it('in a dry run decides a new, acknowledged request and writes nothing', async () => {
    const mail = newRequestMail(RAW, MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
    const steps = pipeline();
    const em = fakeEntityManager(() => []);
    await steps.prepare(mail, { sideEffects: false, now: new Date() });
    await steps.store([mail], { sideEffects: false, now: new Date(), em });
    assert.equal(mail.decision?.outcome, 'new request');
    assert.equal(mail.decision?.acknowledge, true);
    assert.equal(em.inserts.length, 0);
    assert.ok(em.queries.every((query) => /^\s*\(?\s*SELECT/i.test(query.sql)), 'only reads');
  });

  it('stops at a duplicate: only the store step runs and reports it', async () => {
    const mail = newRequestMail(RAW, MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
    const steps = pipeline();
    const em = fakeEntityManager((sql) => (sql.includes('quarantined_mail q') ? [{ kind: 'message', identity: 'm1@example.org', id: 'r9', number: 9, reason: null }] : []));
    await steps.prepare(mail, { sideEffects: true, now: new Date() });
    await steps.store([mail], { sideEffects: true, now: new Date(), em });
    assert.deepEqual(mail.stored, { outcome: 'duplicate', requestId: 'r9', requestNumber: 9, rowId: null });
    assert.equal(mail.decision?.outcome, 'ignored');
    assert.equal(mail.decision?.rule, 'duplicate');
    assert.ok(em.queries.every((query) => /^\s*SELECT/i.test(query.sql)), 'only the batch lookups ran');
    assert.equal(mail.thread, undefined, 'no step but store ran on the duplicate');
    assert.equal(em.inserts.length, 0);
  });
});
