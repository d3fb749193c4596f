import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMailUser, deliver } from '../support/dovecot';
import { testEnv } from '../support/env';
import { buildTestMail, headerValue } from '../support/mail';
import { createDovecotMailbox, waitUntil } from '../support/mailboxes';
import { startTestService } from '../support/service';
import { waitForReceived } from '../support/smtp-receiver';

/**
 * The whole loop a helpdesk lives on, with every real server in it: a customer's mail lands in
 * Dovecot, the scheduler turns it into a request, an agent replies, the outbox delivers the reply
 * over SMTP (STARTTLS + password) to a real receiver, the customer answers that reply, and the
 * answer, fetched again, is appended to the same request.
 */
describe('a reply and its answer, end to end', () => {
  it('threads the customer’s answer to our reply back into the request', async () => {
    const sut = await startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '100', DESKMAIL_OUTBOX_TICK_MS: '100' } });
    try {
      const desk = await createMailUser('roundtrip');
      const customer = `customer-${Date.now()}@example.org`;
      const mailbox = await createDovecotMailbox(sut.api, {
        user: desk.email,
        password: desk.password,
        incoming: { fetchIntervalMinutes: 1, idle: true },
        outgoing: {
          protocol: 'smtp', authType: 'password', host: '127.0.0.1', port: testEnv().smtp.starttlsPort, tls: true,
          username: desk.email, password: desk.password, caCertificate: testEnv().caCert, senderName: 'Example Support', acknowledge: true,
        },
      });

      const question = buildTestMail({ from: `Dana <${customer}>`, to: desk.email, subject: 'VPN drops every hour', body: 'Since Monday.' });
      await deliver(desk.email, question.raw);
      const request = await waitUntil(async () => {
        const list = await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`);
        return list.body.requests?.[0];
      }, 30_000, 'the request created by the scheduler');

      // The acknowledgement went out through the real SMTP receiver, as an auto-reply.
      const acknowledgement = await waitForReceived((m) => m.to.includes(customer) && /Auto-Submitted: auto-replied/i.test(m.raw.toString()), { timeoutMs: 30_000 });
      assert.match(headerValue(acknowledgement.raw, 'subject'), new RegExp(`\\[##${request.number}##\\]`));

      const reply = await sut.api.post(`/v1/requests/${request.id}/reply`, { text: 'Please update the VPN client to 5.2.' });
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      const delivered = await waitForReceived((m) => m.messageId.includes(reply.body.messageId), { timeoutMs: 30_000 });
      assert.equal(delivered.username, desk.email, 'sent with the mailbox’s own login');
      assert.equal(delivered.secure, true, 'over STARTTLS');
      assert.match(headerValue(delivered.raw, 'from'), new RegExp(`"Example Support" <${desk.email.replace(/\./g, '\\.')}>`));
      assert.equal(headerValue(delivered.raw, 'in-reply-to'), question.messageId);
      assert.match(headerValue(delivered.raw, 'subject'), new RegExp(`^\\[##${request.number}##\\] Re: VPN drops every hour$`));
      assert.doesNotMatch(delivered.raw.toString(), /^Auto-Submitted:/m, 'a person’s reply is not an auto-reply');
      const sent = await waitUntil(async () => (await sut.api.get(`/v1/outbox?status=sent&pageSize=200`)).body.messages.find((m: { messageId: string }) => m.messageId === reply.body.messageId), 10_000, 'the outbox row marked sent');
      assert.equal(sent.server, 'primary');

      // The customer answers our reply: only In-Reply-To links it, the subject has no token.
      const answer = buildTestMail({ from: `Dana <${customer}>`, to: desk.email, subject: 'Re: VPN drops every hour', body: 'Updated, it is stable now.', headers: { 'In-Reply-To': `<${reply.body.messageId}>` } });
      await deliver(desk.email, answer.raw);
      const thread = await waitUntil(async () => {
        const detail = await sut.api.get(`/v1/requests/${request.id}`);
        return detail.body.messages.some((m: { text: string }) => m.text?.includes('stable now')) && detail.body;
      }, 90_000, 'the answer appended to the request');
      assert.deepEqual(thread.messages.map((m: { direction: string }) => m.direction), ['in', 'out', 'out', 'in'], 'question, acknowledgement, reply, answer');
      const requests = await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`);
      assert.equal(requests.body.total, 1, 'no second request');
    } finally {
      await sut.close();
    }
  });
});
