import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureMailbox } from '../../../test/fixtures/mail/mail-fixtures';
import type { InboundMail, MailboxPolicy } from '../pipeline/inbound-mail';
import { decide, DecideStep } from './decide.step';

const KIM = { name: 'Kim', email: 'kim@example.org' };

function mail(fields: Partial<InboundMail> = {}, mailbox: Partial<MailboxPolicy> = {}): InboundMail {
  return { raw: Buffer.from('x'), mailbox: fixtureMailbox(mailbox), requester: KIM, autoReply: { isAutoReply: false }, ...fields };
}

describe('decide', () => {
  it('starts an acknowledged request for a new thread', () => {
    const { decision, quarantine } = decide(mail());
    assert.equal(quarantine, undefined);
    assert.deepEqual(decision, {
      outcome: 'new request',
      request: null,
      rule: 'new-thread',
      autoReply: false,
      reason: 'A new request: no request matches its In-Reply-To, References or subject token. It will be acknowledged.',
      requester: KIM,
      acknowledge: true,
      acknowledgementSuppressedBy: null,
    });
  });

  it('appends a reply to the request the thread step found, without acknowledgement', () => {
    const { decision } = decide(mail({ thread: { requestId: 'r', requestNumber: 1042, matchedBy: 'subject-token' } }));
    assert.deepEqual([decision.outcome, decision.request, decision.rule, decision.acknowledge], ['append', 1042, 'subject-token', false]);
    assert.equal(decision.reason, 'Appended to request #1042: the subject carries its token.');
  });

  it('appends a bounce about a request to it as a note', () => {
    const autoReply = { isAutoReply: true, rule: 'bounce' as const, reason: 'From: MAILER-DAEMON@mx.example.net' };
    const { decision } = decide(mail({ bounce: true, autoReply, thread: { requestId: 'r', requestNumber: 7, matchedBy: 'in-reply-to' } }));
    assert.equal(decision.outcome, 'append');
    assert.equal(decision.autoReply, true);
    assert.equal(
      decision.reason,
      'Appended to request #7 as a note about a mail that bounced: In-Reply-To names one of its messages. No acknowledgement: From: MAILER-DAEMON@mx.example.net.',
    );
  });

  it('ignores a bounce that names no request: bounces never start requests', () => {
    const autoReply = { isAutoReply: true, rule: 'bounce' as const, reason: 'Return-Path: <>' };
    const { decision } = decide(mail({ bounce: true, autoReply, thread: null }));
    assert.deepEqual([decision.outcome, decision.rule, decision.acknowledge], ['ignored', 'bounce', false]);
  });

  it("ignores new mail from the helpdesk's own address", () => {
    const autoReply = { isAutoReply: false, rule: 'own-address' as const, reason: 'sent from own address' };
    assert.equal(decide(mail({ ownAddress: true, autoReply })).decision.outcome, 'ignored');
  });

  it('appends own-address mail that replies to a request', () => {
    const thread = { requestId: 'r', requestNumber: 3, matchedBy: 'references' as const };
    assert.equal(decide(mail({ ownAddress: true, thread })).decision.outcome, 'append');
  });

  it('starts a request for an auto-reply to nothing, but does not acknowledge it', () => {
    const autoReply = { isAutoReply: true, rule: 'auto-submitted' as const, reason: 'Auto-Submitted: auto-replied' };
    const { decision } = decide(mail({ autoReply }));
    assert.deepEqual([decision.outcome, decision.acknowledge, decision.acknowledgementSuppressedBy], ['new request', false, 'auto-submitted']);
    assert.match(decision.reason, /No acknowledgement: Auto-Submitted: auto-replied\.$/);
  });

  it('does not acknowledge mail imported on the first fetch', () => {
    const { decision } = decide(mail({}, { firstImport: true }));
    assert.deepEqual([decision.acknowledge, decision.acknowledgementSuppressedBy], [false, 'first-import']);
  });

  it('does not acknowledge past the rate limit', () => {
    assert.equal(decide(mail({ acknowledgementRateLimited: true })).decision.acknowledgementSuppressedBy, 'rate-limit');
  });

  it('does not acknowledge when the mailbox does not acknowledge', () => {
    assert.equal(decide(mail({}, { acknowledge: false })).decision.acknowledgementSuppressedBy, 'mailbox-setting');
  });

  it('keeps a new thread in quarantine when request creation by email is disabled', () => {
    const { decision, quarantine } = decide(mail({}, { createRequests: false }));
    assert.deepEqual(quarantine, { reason: 'not turned into a request', detail: 'new request creation by email is disabled for this mailbox' });
    assert.deepEqual([decision.outcome, decision.rule], ['quarantine', 'not turned into a request']);
  });

  it('still appends replies when request creation by email is disabled', () => {
    const thread = { requestId: 'r', requestNumber: 9, matchedBy: 'in-reply-to' as const };
    assert.equal(decide(mail({ thread }, { createRequests: false })).decision.outcome, 'append');
  });

  it('quarantines a new thread nobody could be answered for', () => {
    const { decision, quarantine } = decide(mail({ requester: null }));
    assert.equal(quarantine?.reason, 'no sender');
    assert.equal(decision.outcome, 'quarantine');
  });

  it('keeps what an earlier step quarantined', () => {
    const { decision } = decide(mail({ quarantine: { reason: 'loop', detail: 'more than 5 mails from kim@example.org in 60 minutes' } }));
    assert.deepEqual([decision.outcome, decision.rule, decision.reason], ['quarantine', 'loop', 'Quarantined (loop): more than 5 mails from kim@example.org in 60 minutes.']);
  });
});

describe('DecideStep', () => {
  it('records the decision and the quarantine it decided', async () => {
    const inbound = mail({ requester: null });
    await new DecideStep().run(inbound);
    assert.equal(inbound.decision?.outcome, 'quarantine');
    assert.equal(inbound.quarantine?.reason, 'no sender');
  });

  it('runs on quarantined mail', () => {
    assert.equal(new DecideStep().runsOnQuarantined, true);
  });
});
