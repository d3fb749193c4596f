import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FIXTURE_WORLD,
  fixtureMailbox,
  generateLargeMail,
  mailFixtureNames,
  readMailFixture,
} from '../../../test/fixtures/mail/mail-fixtures';
import { newInboundMail, runSteps, type InboundMail, type MailboxPolicy, type PipelineStep } from '../pipeline/inbound-mail';
import { DecideStep } from './decide.step';
import { IdentifyStep } from './identify.step';
import { LoopCheckStep } from './loop-check.step';
import { ParseStep } from './parse.step';
import { ThreadHintsStep } from './thread-hints.step';

/**
 * Stands in for the database thread step: the fixture world has one request, #1042, whose
 * messages are FIXTURE_WORLD.messageIds (README.md).
 */
class FixtureThreadLookup implements PipelineStep {
  readonly name = 'thread';
  constructor(private readonly requestExists = true) {}

  async run(mail: InboundMail): Promise<void> {
    const hints = mail.threadHints;
    mail.thread = null;
    if (!hints || !this.requestExists) return;
    const known: readonly string[] = FIXTURE_WORLD.messageIds;
    const id = hints.messageIds.find((candidate) => known.includes(candidate));
    const { requestId, requestNumber } = FIXTURE_WORLD;
    if (id) mail.thread = { requestId, requestNumber, matchedBy: id === hints.inReplyTo ? 'in-reply-to' : 'references' };
    else if (hints.requestNumber === requestNumber) mail.thread = { requestId, requestNumber, matchedBy: 'subject-token' };
  }
}

async function decideFor(raw: Buffer, mailbox: Partial<MailboxPolicy> = {}, requestExists = true) {
  const steps = [new ParseStep(), new IdentifyStep(), new LoopCheckStep(), new ThreadHintsStep(), new FixtureThreadLookup(requestExists), new DecideStep()];
  return runSteps(steps, newInboundMail(raw, fixtureMailbox(mailbox)), { sideEffects: false, now: new Date('2025-11-03T10:00:00Z') });
}

type Outcome = [outcome: string, request: number | null, rule: string, acknowledge: boolean, autoReply: boolean];
const NEW_ACKNOWLEDGED: Outcome = ['new request', null, 'new-thread', true, false];

/** The outcome column of test/fixtures/mail/README.md, checked. */
const OUTCOMES: Record<string, Outcome> = {
  'auto-reply-rfc3834.eml': ['append', 1042, 'in-reply-to', false, true],
  'bare-lf-line-endings.eml': NEW_ACKNOWLEDGED,
  'calendar-invite.eml': NEW_ACKNOWLEDGED,
  'charset-lie-windows-1252-as-iso-8859-1.eml': NEW_ACKNOWLEDGED,
  'cid-inline-image.eml': NEW_ACKNOWLEDGED,
  'dsn-bounce.eml': ['append', 1042, 'in-reply-to', false, true],
  'duplicate-message-id-first.eml': NEW_ACKNOWLEDGED,
  // A new request by itself; after the first it is a duplicate (same identity, see below).
  'duplicate-message-id-second.eml': NEW_ACKNOWLEDGED,
  'gb2312-base64.eml': NEW_ACKNOWLEDGED,
  'gbk-8bit.eml': NEW_ACKNOWLEDGED,
  'html-only-hostile.eml': NEW_ACKNOWLEDGED,
  'iso-2022-jp-7bit.eml': NEW_ACKNOWLEDGED,
  'iso-2022-jp-unlabelled.eml': NEW_ACKNOWLEDGED,
  'iso-8859-1-quoted-printable.eml': NEW_ACKNOWLEDGED,
  'iso-8859-2-8bit.eml': NEW_ACKNOWLEDGED,
  'koi8-r-8bit.eml': NEW_ACKNOWLEDGED,
  'mailing-list-post.eml': ['new request', null, 'new-thread', false, false],
  'malformed-date.eml': NEW_ACKNOWLEDGED,
  'malformed-from-no-address.eml': ['quarantine', null, 'no sender', false, false],
  'malformed-from-salvaged.eml': NEW_ACKNOWLEDGED,
  'message-rfc822-attachment.eml': NEW_ACKNOWLEDGED,
  'missing-date.eml': NEW_ACKNOWLEDGED,
  'missing-from.eml': NEW_ACKNOWLEDGED,
  'missing-message-id.eml': NEW_ACKNOWLEDGED,
  'nested-multipart.eml': NEW_ACKNOWLEDGED,
  'no-charset-8bit-cyrillic.eml': NEW_ACKNOWLEDGED,
  'no-charset-8bit.eml': NEW_ACKNOWLEDGED,
  'nul-bytes.eml': NEW_ACKNOWLEDGED,
  'outlook-out-of-office.eml': ['append', 1042, 'in-reply-to', false, true],
  'own-address.eml': ['ignored', null, 'own-address', false, false],
  'raw-8bit-headers-koi8-r.eml': NEW_ACKNOWLEDGED,
  'raw-utf8-filename.eml': NEW_ACKNOWLEDGED,
  'reply-with-token.eml': ['append', 1042, 'in-reply-to', false, false],
  'rfc2047-split-words.eml': NEW_ACKNOWLEDGED,
  'rfc2231-filenames.eml': NEW_ACKNOWLEDGED,
  'shift_jis-base64.eml': NEW_ACKNOWLEDGED,
  'tnef-winmail-dat.eml': NEW_ACKNOWLEDGED,
  'truncated-mime.eml': NEW_ACKNOWLEDGED,
  'us-ascii-7bit.eml': NEW_ACKNOWLEDGED,
  'utf8-8bit.eml': NEW_ACKNOWLEDGED,
  'utf8-base64.eml': NEW_ACKNOWLEDGED,
  'utf8-label-wrong.eml': NEW_ACKNOWLEDGED,
  'utf8-quoted-printable.eml': NEW_ACKNOWLEDGED,
  'windows-1251-base64.eml': NEW_ACKNOWLEDGED,
  'windows-1252-quoted-printable.eml': NEW_ACKNOWLEDGED,
};

function outcomeOf(mail: InboundMail): Outcome {
  const decision = mail.decision;
  assert.ok(decision, 'the pipeline decided');
  return [decision.outcome, decision.request, decision.rule, decision.acknowledge, decision.autoReply];
}

describe('what the pipeline does with each fixture (README.md outcome column)', () => {
  it('states an outcome for every fixture', () => {
    assert.deepEqual(mailFixtureNames(), Object.keys(OUTCOMES).sort());
  });

  for (const [name, expected] of Object.entries(OUTCOMES)) {
    it(`${name} → ${expected[0]}${expected[1] ? ` #${expected[1]}` : ''} (${expected[2]})`, async () => {
      const fallbackCharset = name === 'no-charset-8bit-cyrillic.eml' ? 'windows-1251' : 'windows-1252';
      assert.deepEqual(outcomeOf(await decideFor(readMailFixture(name), { fallbackCharset })), expected);
    });
  }

  it('30 MB generated mail → quarantine (too large), no request', async () => {
    const mail = await decideFor(generateLargeMail(30 * 1024 * 1024));
    assert.deepEqual(outcomeOf(mail), ['quarantine', null, 'too large', false, false]);
    assert.match(mail.identity ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  it('the two mails sharing a Message-ID have one identity, so the second is a duplicate', async () => {
    const first = await decideFor(readMailFixture('duplicate-message-id-first.eml'));
    const second = await decideFor(readMailFixture('duplicate-message-id-second.eml'));
    assert.equal(first.identity, second.identity);
  });

  it('a bounce about no known request is ignored, never a new request', async () => {
    const mail = await decideFor(readMailFixture('dsn-bounce.eml'), {}, false);
    assert.deepEqual(outcomeOf(mail), ['ignored', null, 'bounce', false, true]);
  });

  it('an out-of-office about no known request starts a request but is not acknowledged', async () => {
    const mail = await decideFor(readMailFixture('outlook-out-of-office.eml'), {}, false);
    assert.deepEqual(outcomeOf(mail), ['new request', null, 'new-thread', false, true]);
    assert.equal(mail.decision?.acknowledgementSuppressedBy, 'out-of-office');
  });

  it('with request creation disabled, a new thread is kept in quarantine and a reply is still appended', async () => {
    const created = await decideFor(readMailFixture('utf8-8bit.eml'), { createRequests: false });
    assert.deepEqual(outcomeOf(created), ['quarantine', null, 'not turned into a request', false, false]);
    const reply = await decideFor(readMailFixture('reply-with-token.eml'), { createRequests: false });
    assert.deepEqual(outcomeOf(reply), ['append', 1042, 'in-reply-to', false, false]);
  });

  it('mail imported on the first fetch is never acknowledged', async () => {
    const mail = await decideFor(readMailFixture('utf8-8bit.eml'), { firstImport: true });
    assert.deepEqual(outcomeOf(mail), ['new request', null, 'new-thread', false, false]);
  });

  it('the dry run answers the sample-mail decision with the decoded requester', async () => {
    const mail = await decideFor(readMailFixture('koi8-r-8bit.eml'));
    assert.deepEqual(mail.decision?.requester, { name: 'Ольга Смирнова', email: 'olga@example.ru' });
  });
});
