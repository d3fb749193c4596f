import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { newRequestMail, type RequestMail } from '../pipeline/request-mail';
import { fakeEntityManager } from '../testing/fake-entity-manager';
import { decideWith, storeContext } from '../testing/lookup-steps';
import { ThreadStep } from './thread.step';

const MAILBOX = { id: 'mailbox-a', emailAddresses: ['support@example.com'], incoming: {}, outgoing: null } as unknown as Mailbox;

function mailWith(hints: RequestMail['threadHints']): RequestMail {
  const mail = newRequestMail(Buffer.from('x'), MAILBOX, { firstImport: false, maxMailBytes: 1e6, receivedAt: null });
  mail.threadHints = hints;
  return mail;
}

type Row = { message_id: string; request_id: string; number: number; mailbox_id: string };

function run(mail: RequestMail, messages: Row[], requests: Array<{ id: string; number: number }> = []) {
  const em = fakeEntityManager((_sql, parameters) => [
    ...messages.filter((row) => (parameters[0] as string[]).includes(row.message_id)).map((row) => ({ kind: 'message', key: row.message_id, ...row })),
    ...requests.filter((row) => (parameters[1] as number[]).includes(row.number)).map((row) => ({ kind: 'token', key: String(row.number), request_id: row.id, number: row.number, mailbox_id: 'any' })),
  ]);
  return decideWith(new ThreadStep(), [mail], storeContext(em, { sideEffects: false })).then(() => mail.thread);
}

describe('ThreadStep', () => {
  it('appends to the request whose message In-Reply-To names', async () => {
    const mail = mailWith({ messageIds: ['ack@desk', 'first@customer'], inReplyTo: 'ack@desk', requestNumber: null });
    const thread = await run(mail, [{ message_id: 'ack@desk', request_id: 'r1', number: 7, mailbox_id: 'mailbox-a' }]);
    assert.deepEqual(thread, { requestId: 'r1', requestNumber: 7, matchedBy: 'in-reply-to' });
  });

  it('falls back to References, newest first, and says so', async () => {
    const mail = mailWith({ messageIds: ['unknown@x', 'second@customer', 'first@customer'], inReplyTo: 'unknown@x', requestNumber: null });
    const thread = await run(mail, [
      { message_id: 'first@customer', request_id: 'old', number: 1, mailbox_id: 'mailbox-a' },
      { message_id: 'second@customer', request_id: 'r2', number: 2, mailbox_id: 'mailbox-a' },
    ]);
    assert.deepEqual(thread, { requestId: 'r2', requestNumber: 2, matchedBy: 'references' });
  });

  it("prefers the receiving mailbox's request when one Message-ID is in two mailboxes", async () => {
    const mail = mailWith({ messageIds: ['shared@x'], inReplyTo: 'shared@x', requestNumber: null });
    const thread = await run(mail, [
      { message_id: 'shared@x', request_id: 'other', number: 3, mailbox_id: 'mailbox-b' },
      { message_id: 'shared@x', request_id: 'mine', number: 4, mailbox_id: 'mailbox-a' },
    ]);
    assert.equal(thread?.requestId, 'mine');
  });

  it('uses the subject token when no id is known, whatever mailbox the request is in', async () => {
    const mail = mailWith({ messageIds: ['unknown@x'], inReplyTo: 'unknown@x', requestNumber: 42 });
    const thread = await run(mail, [], [{ id: 'r42', number: 42 }]);
    assert.deepEqual(thread, { requestId: 'r42', requestNumber: 42, matchedBy: 'subject-token' });
  });

  it('finds nothing for a token of a request that does not exist', async () => {
    assert.equal(await run(mailWith({ messageIds: [], inReplyTo: null, requestNumber: 99 }), []), null);
  });
});
