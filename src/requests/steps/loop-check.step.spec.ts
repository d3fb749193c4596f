import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureMailbox, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import type { AutomationHeaders, ParsedMail } from '../parsing/parsed-mail';
import { newInboundMail } from '../pipeline/inbound-mail';
import { IdentifyStep } from './identify.step';
import { classifyAutomatedMail, LoopCheckStep } from './loop-check.step';
import { ParseStep } from './parse.step';

const NO_AUTOMATION: AutomationHeaders = {
  autoSubmitted: null,
  precedence: null,
  autoResponseSuppress: null,
  listId: null,
  returnPath: 'kim@example.org',
  xAutoreply: null,
  xAutorespond: null,
  msExchangeGeneratedMessageSource: null,
  msExchangeInboxRulesLoop: null,
};

function mailWith(automation: Partial<AutomationHeaders>, rest: Partial<ParsedMail> = {}): ParsedMail {
  return {
    messageId: 'x@example.org',
    inReplyTo: null,
    references: [],
    subject: 'Printer broken',
    from: { name: 'Kim', email: 'kim@example.org' },
    sender: null,
    replyTo: null,
    to: [],
    cc: [],
    date: null,
    text: '',
    html: null,
    attachments: [],
    contentType: { mimeType: 'text/plain', params: {} },
    automation: { ...NO_AUTOMATION, ...automation },
    report: null,
    warnings: [],
    size: 100,
    ...rest,
  };
}

describe('classifyAutomatedMail', () => {
  const cases: Array<[string, ParsedMail, string | undefined, boolean, string | undefined]> = [
    // [behaviour, mail, rule, isAutoReply, reason]
    ['acknowledges an ordinary mail', mailWith({}), undefined, false, undefined],
    ['does not acknowledge Auto-Submitted: auto-replied (RFC 3834)', mailWith({ autoSubmitted: 'auto-replied' }), 'auto-submitted', true, 'Auto-Submitted: auto-replied'],
    ['does not acknowledge Auto-Submitted: auto-generated', mailWith({ autoSubmitted: 'auto-generated' }), 'auto-submitted', true, 'Auto-Submitted: auto-generated'],
    ['reads the Auto-Submitted keyword before its parameters', mailWith({ autoSubmitted: 'auto-notified; owner-email="x@y"' }), 'auto-submitted', true, 'Auto-Submitted: auto-notified; owner-email="x@y"'],
    ['acknowledges Auto-Submitted: no', mailWith({ autoSubmitted: 'No' }), undefined, false, undefined],
    ['does not acknowledge Precedence: bulk', mailWith({ precedence: 'bulk' }), 'precedence', true, 'Precedence: bulk'],
    ['does not acknowledge Precedence: junk', mailWith({ precedence: 'junk' }), 'precedence', true, 'Precedence: junk'],
    ['does not acknowledge Precedence: list, a person writing through a list', mailWith({ precedence: 'list' }), 'precedence', false, 'Precedence: list'],
    ['acknowledges Precedence: first-class', mailWith({ precedence: 'first-class' }), undefined, false, undefined],
    ['does not acknowledge a List-Id (RFC 2919)', mailWith({ listId: '<users.lists.example.org>' }), 'list-id', false, 'List-Id: <users.lists.example.org>'],
    ['does not acknowledge X-Auto-Response-Suppress of any value', mailWith({ autoResponseSuppress: 'DR, RN' }), 'x-auto-response-suppress', false, 'X-Auto-Response-Suppress: DR, RN'],
    ['does not acknowledge X-Autoreply', mailWith({ xAutoreply: 'yes' }), 'x-autoreply', true, 'X-Autoreply: yes'],
    ['does not acknowledge X-Autorespond', mailWith({ xAutorespond: 'on' }), 'x-autoreply', true, 'X-Autorespond: on'],
    [
      'recognises an Outlook out-of-office by its Exchange headers',
      mailWith({ autoResponseSuppress: 'All', msExchangeInboxRulesLoop: 'bob@example.net', autoSubmitted: 'auto-generated' }),
      'out-of-office',
      true,
      'X-MS-Exchange-Inbox-Rules-Loop: bob@example.net',
    ],
    ['recognises an out-of-office made by the Mailbox Rules Agent', mailWith({ msExchangeGeneratedMessageSource: 'Mailbox Rules Agent' }), 'out-of-office', true, 'X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent'],
    ['recognises "Automatic reply:" subjects', mailWith({}, { subject: 'Automatic reply: Printer broken' }), 'out-of-office', true, 'Subject: Automatic reply: Printer broken'],
    ['does not take a forwarding inbox rule alone for an out-of-office', mailWith({ msExchangeInboxRulesLoop: 'bob@example.net' }), undefined, false, undefined],
    ['treats a mailer-daemon sender as a bounce', mailWith({}, { from: { name: 'Mail Delivery System', email: 'MAILER-DAEMON@mx.example.net' } }), 'bounce', true, 'From: MAILER-DAEMON@mx.example.net'],
    ['treats a postmaster sender as a bounce', mailWith({}, { from: { name: null, email: 'postmaster@example.net' } }), 'bounce', true, 'From: postmaster@example.net'],
    ['treats the null Return-Path <> as a bounce', mailWith({ returnPath: '' }), 'bounce', true, 'Return-Path: <>'],
    ['treats an auto-reply sent with the null Return-Path as an auto-reply (RFC 3834 §3.3)', mailWith({ returnPath: '', autoSubmitted: 'auto-replied' }), 'auto-submitted', true, 'Auto-Submitted: auto-replied'],
    [
      'treats a multipart/report (RFC 3464 DSN) as a bounce',
      mailWith({}, { report: { reportType: 'delivery-status', original: null } }),
      'bounce',
      true,
      'Content-Type: multipart/report; report-type=delivery-status',
    ],
  ];
  for (const [behaviour, mail, rule, isAutoReply, reason] of cases) {
    it(behaviour, () => {
      const verdict = classifyAutomatedMail(mail, false);
      assert.deepEqual([verdict.rule, verdict.isAutoReply, verdict.reason], [rule, isAutoReply, reason]);
    });
  }

  it("does not acknowledge the helpdesk's own mail, and says so", () => {
    assert.deepEqual(classifyAutomatedMail(mailWith({}, { from: { name: null, email: 'support@helpdesk.example.com' } }), true), {
      isAutoReply: false,
      rule: 'own-address',
      reason: "sent from this mailbox's own address support@helpdesk.example.com",
    });
  });

  it('calls own mail that is also auto-submitted an auto-reply', () => {
    const verdict = classifyAutomatedMail(mailWith({ autoSubmitted: 'auto-replied' }), true);
    assert.deepEqual([verdict.rule, verdict.isAutoReply], ['own-address', true]);
  });
});

describe('LoopCheckStep', () => {
  async function check(fixture: string) {
    const mail = newInboundMail(readMailFixture(fixture), fixtureMailbox());
    for (const step of [new ParseStep(), new IdentifyStep(), new LoopCheckStep()]) await step.run(mail);
    return mail;
  }

  it('marks a DSN bounce', async () => {
    const mail = await check('dsn-bounce.eml');
    assert.equal(mail.bounce, true);
    assert.equal(mail.autoReply?.rule, 'bounce');
  });

  it('records the Outlook out-of-office rule', async () => {
    const mail = await check('outlook-out-of-office.eml');
    assert.deepEqual(mail.autoReply, { isAutoReply: true, rule: 'out-of-office', reason: 'X-MS-Exchange-Inbox-Rules-Loop: bob@example.net' });
    assert.equal(mail.bounce, false);
  });

  it('records the own-address rule', async () => {
    assert.equal((await check('own-address.eml')).autoReply?.rule, 'own-address');
  });

  it('leaves an ordinary mail acknowledgeable', async () => {
    assert.deepEqual((await check('utf8-8bit.eml')).autoReply, { isAutoReply: false });
  });
});
