import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureMailbox, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import { newInboundMail } from '../pipeline/inbound-mail';
import { IdentifyStep } from './identify.step';
import { LoopCheckStep } from './loop-check.step';
import { ParseStep } from './parse.step';
import { ThreadHintsStep } from './thread-hints.step';

async function hintsOf(raw: Buffer) {
  const mail = newInboundMail(raw, fixtureMailbox());
  for (const step of [new ParseStep(), new IdentifyStep(), new LoopCheckStep(), new ThreadHintsStep()]) await step.run(mail);
  return mail.threadHints;
}

describe('ThreadHintsStep', () => {
  it('looks up In-Reply-To first, then References newest first, and reads the subject token', async () => {
    assert.deepEqual(await hintsOf(readMailFixture('reply-with-token.eml')), {
      messageIds: ['ack-1042@helpdesk.example.com', 'printer-1@example.org'],
      inReplyTo: 'ack-1042@helpdesk.example.com',
      requestNumber: 1042,
    });
  });

  it('reads the token of an Outlook out-of-office reply', async () => {
    assert.equal((await hintsOf(readMailFixture('outlook-out-of-office.eml')))?.requestNumber, 1042);
  });

  it('threads a bounce by the message that bounced, not by its own headers', async () => {
    assert.deepEqual(await hintsOf(readMailFixture('dsn-bounce.eml')), {
      messageIds: ['ack-1042@helpdesk.example.com', 'printer-1@example.org'],
      inReplyTo: 'ack-1042@helpdesk.example.com',
      requestNumber: 1042,
    });
  });

  it('finds the token quoted in the text of a bounce without a returned message', async () => {
    const raw = Buffer.from(
      'From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\nSorry, no mailbox here.\r\n--- Below this line is a copy of the message.\r\nSubject: [##77##] Your request\r\n',
    );
    assert.deepEqual(await hintsOf(raw), { messageIds: [], inReplyTo: null, requestNumber: 77 });
  });

  it('does not search the text of an ordinary mail for tokens', async () => {
    const raw = Buffer.from('From: kim@example.org\r\nSubject: New question\r\n\r\nLike in [##77##] last week.\r\n');
    assert.deepEqual(await hintsOf(raw), { messageIds: [], inReplyTo: null, requestNumber: null });
  });

  it('takes the first of several tokens', async () => {
    const raw = Buffer.from('From: kim@example.org\r\nSubject: Re: [##12##] merged into [##13##]\r\n\r\nx\r\n');
    assert.equal((await hintsOf(raw))?.requestNumber, 12);
  });

  it('gives no hints for a new thread', async () => {
    assert.deepEqual(await hintsOf(readMailFixture('utf8-8bit.eml')), { messageIds: [], inReplyTo: null, requestNumber: null });
  });
});
