import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { Database } from '../../src/core/database/database';
import { OUTBOX, type Outbox, type OutgoingMail } from '../../src/outgoing/outbox.port';
import { testEnv } from '../support/env';
import { headerValue } from '../support/mail';
import { waitUntil } from '../support/mailboxes';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { startSmtpReceiver, type SmtpReceiver, type SmtpReceiverOptions } from '../support/smtp-receiver';

const USER = 'outbox-user@deskmail.example';
const PASSWORD = 'outbox-pass';
const SENDER = 'support@deskmail.example';

/** Workers on, fast ticks and retries; the fetch scheduler has nothing to do (incoming disabled). */
const OUTBOX_TEST_ENV = {
  DESKMAIL_WORKERS: 'true',
  DESKMAIL_OUTBOX_TICK_MS: '100',
  DESKMAIL_OUTBOX_RETRY_BASE_MS: '200',
  DESKMAIL_OUTBOX_MAX_ATTEMPTS: '3',
  DESKMAIL_SCHEDULER_TICK_MS: '600000',
  LOG_LEVEL: 'warn',
};

describe('the outbox against real SMTP receivers', { timeout: 120_000 }, () => {
  let sut: ServiceUnderTest;
  const receivers: SmtpReceiver[] = [];
  const env = () => testEnv();

  before(async () => {
    sut = await startTestService({ env: OUTBOX_TEST_ENV });
  });
  after(async () => {
    await sut?.close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  async function receiver(options: Partial<SmtpReceiverOptions> = {}): Promise<SmtpReceiver> {
    const started = await startSmtpReceiver({ tls: { key: env().trustedCert.key, cert: env().trustedCert.cert }, users: { [USER]: PASSWORD }, ...options });
    receivers.push(started);
    return started;
  }

  async function mailbox(target: SmtpReceiver, outgoing: Record<string, unknown> = {}): Promise<string> {
    const response = await sut.api.post('/v1/mailboxes', {
      name: 'Outbox test',
      emailAddresses: [SENDER],
      incoming: { protocol: 'imaps', authType: 'password', host: 'imap.deskmail.example', username: SENDER, password: 'unused', enabled: false },
      outgoing: {
        protocol: target.secure ? 'smtps' : 'smtp',
        authType: 'password',
        host: target.host,
        port: target.port,
        tls: true,
        username: USER,
        password: PASSWORD,
        senderName: 'Example Support',
        senderAddress: SENDER,
        replyTo: 'replies@deskmail.example',
        caCertificate: env().caCert,
        ...outgoing,
      },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id;
  }

  const testMail = (mailboxId: string, to = 'admin@customer.example') => sut.api.post(`/v1/mailboxes/${mailboxId}/test-mail`, { to });
  const outboxRow = async (messageId: string) => (await sut.api.get('/v1/outbox?pageSize=200')).body.messages.find((m: { messageId: string }) => m.messageId === messageId);
  const settle = (ms = 1_500) => new Promise((resolve) => setTimeout(resolve, ms));

  it('delivers an acknowledgement from the queue with the headers a helpdesk mail needs, bytes unchanged', async () => {
    const target = await receiver();
    const mailboxId = await mailbox(target);
    const mail: OutgoingMail = {
      mailboxId,
      requestId: '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b',
      kind: 'acknowledgement',
      to: [{ name: 'Jöhn Requester', email: 'john@customer.example' }],
      subject: '[##42##] Drucker druckt nicht — Grüße',
      text: 'We received your request.',
      html: '<p>We received your request.</p>',
      inReplyTo: 'original.1@customer.example',
      references: ['root.0@customer.example', 'original.1@customer.example'],
      autoReply: true,
    };
    const queued = await sut.service.app.get(Database).transaction((em) => sut.service.app.get<Outbox>(OUTBOX, { strict: false }).enqueue(em, mail));
    const [received] = await target.waitForMessages(1, 30_000);

    assert.ok(received.raw.equals(queued.raw), 'the receiver got exactly the stored bytes');
    assert.equal(headerValue(received.raw, 'from'), `"Example Support" <${SENDER}>`);
    assert.equal(headerValue(received.raw, 'reply-to'), 'replies@deskmail.example');
    assert.equal(headerValue(received.raw, 'message-id'), `<${queued.messageId}>`);
    assert.match(queued.messageId, /@deskmail\.example$/);
    assert.equal(headerValue(received.raw, 'in-reply-to'), '<original.1@customer.example>');
    assert.equal(headerValue(received.raw, 'references'), '<root.0@customer.example> <original.1@customer.example>');
    assert.equal(headerValue(received.raw, 'auto-submitted'), 'auto-replied');
    assert.equal(headerValue(received.raw, 'x-auto-response-suppress'), 'All');
    assert.match(headerValue(received.raw, 'subject'), /^=\?UTF-8\?[QB]\?/);
    const parsed = await simpleParser(received.raw);
    assert.equal(parsed.subject, '[##42##] Drucker druckt nicht — Grüße');
    assert.deepEqual(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null, [{ name: 'Jöhn Requester', address: 'john@customer.example' }]);
    assert.deepEqual({ from: received.from, to: received.to }, { from: SENDER, to: ['john@customer.example'] });

    const row = await waitUntil(async () => (await outboxRow(queued.messageId))?.status === 'sent' && outboxRow(queued.messageId), 10_000, 'the row marked sent');
    assert.equal(row.server, 'primary');
    assert.match(row.response, /^250 /);
    assert.equal(row.request, mail.requestId);
    assert.equal(row.kind, 'acknowledgement');
    assert.equal(row.attempts, 1);
    const raw = await fetch(`${sut.url}/v1/outbox/${row.id}/raw`, { headers: { authorization: `Bearer ${sut.env.DESKMAIL_API_TOKEN}` } });
    assert.equal(raw.headers.get('content-type'), 'message/rfc822');
    assert.ok(Buffer.from(await raw.arrayBuffer()).equals(queued.raw));
  });

  for (const secure of [false, true]) {
    const protocol = secure ? 'smtps' : 'smtp+STARTTLS';
    it(`${protocol} with a password: the test mail goes now and answers messageId, server and response`, async () => {
      const target = await receiver({ secure });
      const mailboxId = await mailbox(target);
      const response = await testMail(mailboxId);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.server, 'primary');
      assert.match(response.body.response, /^250 /);
      const [received] = await target.waitForMessages(1);
      assert.equal(received.messageId, `<${response.body.messageId}>`);
      assert.deepEqual([received.secure, received.username, received.authMethod], [true, USER, 'PLAIN']);
      const row = await outboxRow(response.body.messageId);
      assert.deepEqual([row.kind, row.status, row.attempts, row.server], ['test', 'sent', 1, 'primary']);
      assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.outgoing.state, 'connected');
    });
  }

  it('a server refusing the password: 502 AUTHENTICATION_FAILED, authenticationError, and the mail goes once the admin fixes it', async () => {
    const target = await receiver();
    const mailboxId = await mailbox(target, { password: 'wrong-password' });
    const refused = await testMail(mailboxId);
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'AUTHENTICATION_FAILED');
    assert.match(refused.body.message, new RegExp(`refused the password for ${USER}`));
    const { outgoing } = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body;
    assert.equal(outgoing.state, 'authenticationError');
    assert.equal(outgoing.lastError.code, 'AUTHENTICATION_FAILED');
    const logs = (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries;
    assert.ok(logs.some((e: { message: string }) => /outgoing: AUTHENTICATION_FAILED/.test(e.message)), JSON.stringify(logs));
    const queued = (await sut.api.get(`/v1/outbox?mailbox=${mailboxId}`)).body.messages[0];
    assert.equal(queued.status === 'queued' || queued.status === 'sending', true, JSON.stringify(queued));
    assert.equal(queued.lastError.code, 'AUTHENTICATION_FAILED');

    assert.equal((await sut.api.patch(`/v1/mailboxes/${mailboxId}`, { outgoing: { password: PASSWORD } })).status, 200);
    const [received] = await target.waitForMessages(1, 30_000);
    assert.equal(received.messageId, `<${queued.messageId}>`);
    await waitUntil(async () => (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.outgoing.state === 'connected', 10_000, 'state connected');
  });

  it('an untrusted certificate: 502 TLS_ERROR that names caCertificate; trusted once caCertificate is set', async () => {
    const target = await receiver({ tls: { key: env().untrustedCert.key, cert: env().untrustedCert.cert } });
    const mailboxId = await mailbox(target);
    const refused = await testMail(mailboxId);
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'TLS_ERROR');
    assert.match(refused.body.message, /caCertificate/);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.outgoing.state, 'connectError');
    assert.equal(target.received().length, 0);

    assert.equal((await sut.api.patch(`/v1/mailboxes/${mailboxId}`, { outgoing: { caCertificate: env().untrustedCert.cert } })).status, 200);
    const trusted = await testMail(mailboxId);
    assert.equal(trusted.status, 200, JSON.stringify(trusted.body));
  });

  for (const fault of [
    { stage: 'connect', code: 421, message: 'busy, try later' },
    { stage: 'rcpt', code: 451, message: 'greylisted, try later' },
  ] as const) {
    it(`a ${fault.code} at ${fault.stage}, then success: exactly one delivery, on the second attempt`, async () => {
      const target = await receiver({ faults: [{ ...fault, times: 1 }] });
      const mailboxId = await mailbox(target);
      const deferred = await testMail(mailboxId);
      assert.equal(deferred.status, 502, JSON.stringify(deferred.body));
      assert.equal(deferred.body.code, 'CONNECTION_FAILED');
      assert.match(deferred.body.message, new RegExp(`${fault.code}`));
      const [received] = await target.waitForMessages(1, 30_000);
      const row = await waitUntil(async () => {
        const current = await sut.api.get(`/v1/outbox?mailbox=${mailboxId}`);
        return current.body.messages[0]?.status === 'sent' && current.body.messages[0];
      }, 10_000, 'the row sent');
      assert.equal(received.messageId, `<${row.messageId}>`);
      assert.equal(row.attempts, 2);
      assert.equal(row.lastError.code, 'CONNECTION_FAILED', 'the deferral stays visible');
      await settle();
      assert.equal(target.received().length, 1, 'delivered exactly once');
    });
  }

  it('a 550: failed with the server’s answer, never retried', async () => {
    const target = await receiver({ faults: [{ stage: 'rcpt', code: 550, message: 'no such user here' }] });
    const mailboxId = await mailbox(target);
    const rejected = await testMail(mailboxId, 'nobody@customer.example');
    assert.equal(rejected.status, 502, JSON.stringify(rejected.body));
    assert.equal(rejected.body.code, 'PROTOCOL_ERROR');
    assert.match(rejected.body.message, /550 no such user here/);
    await settle(2_000);
    assert.deepEqual(target.faultHits(), [1], 'tried once, never again');
    const failed = (await sut.api.get(`/v1/outbox?status=failed&mailbox=${mailboxId}`)).body;
    assert.equal(failed.total, 1);
    assert.equal(failed.messages[0].response, '550 no such user here');
    assert.equal(failed.messages[0].attempts, 1);
    assert.equal(failed.messages[0].nextAttemptAt, null);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.outgoing.outbox.failed, 1);
  });

  it('the primary host refusing connections: the alternate host delivers, and the row says server alternate', async () => {
    const target = await receiver();
    // 127.0.0.2 is loopback too, but nothing listens there: connection refused.
    const mailboxId = await mailbox(target, { host: '127.0.0.2', alternateHost: target.host });
    const response = await testMail(mailboxId);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.server, 'alternate');
    assert.equal((await outboxRow(response.body.messageId)).server, 'alternate');
    const metrics: string = (await sut.api.get('/metrics')).body;
    assert.match(metrics, /deskmail_outbox_sends_total\{server="alternate",result="sent"\} [1-9]/);
    assert.match(metrics, /deskmail_outbox_messages\{status="queued"\} \d+/);
    assert.match(metrics, /deskmail_outbox_oldest_queued_seconds \d/);
  });

  it('writes the outgoing transcript into the mailbox log while debug is on, AUTH redacted', async () => {
    const target = await receiver();
    const mailboxId = await mailbox(target, { debug: true });
    assert.equal((await testMail(mailboxId)).status, 200);
    const entries: Array<{ event: string; message: string }> = (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries;
    const transcript = entries.filter((e) => e.event === 'transcript').map((e) => e.message).join('\n');
    assert.match(transcript, /C: AUTH PLAIN \[redacted\]/);
    assert.match(transcript, /S: 235/);
    assert.match(transcript, /C: MAIL FROM:<support@deskmail\.example>/);
    assert.ok(!transcript.includes(PASSWORD) && !transcript.includes(Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')));
  });

  it('forgets sent mail past DESKMAIL_OUTBOX_KEEP_SENT_DAYS and keeps recent and failed mail', async () => {
    const target = await receiver();
    const mailboxId = await mailbox(target);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await testMail(mailboxId);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      ids.push(sent.body.messageId);
    }
    const db = sut.service.app.get(Database);
    const age = (days: number) => new Date(Date.now() - days * 86_400_000);
    await db.run((em) => em.query(`UPDATE outbox_message SET sent_at = $2 WHERE message_id = $1`, [ids[0], age(31)]));
    await db.run((em) => em.query(`UPDATE outbox_message SET sent_at = $2 WHERE message_id = $1`, [ids[1], age(29)]));
    await db.run((em) => em.query(`UPDATE outbox_message SET status = 'failed', sent_at = NULL, created_at = $2 WHERE message_id = $1`, [ids[2], age(90)]));

    // A second instance on the same database: its sender prunes on its first round.
    const second = await startTestService({ databaseUrl: sut.env.DATABASE_URL, keep: true, env: { ...OUTBOX_TEST_ENV, LOG_LEVEL: 'info', DESKMAIL_OUTBOX_KEEP_SENT_DAYS: '30' } });
    try {
      await waitUntil(async () => !(await outboxRow(ids[0])), 10_000, 'the sent mail of 31 days ago pruned');
      assert.equal((await outboxRow(ids[1]))?.status, 'sent', 'sent 29 days ago: kept');
      assert.equal((await outboxRow(ids[2]))?.status, 'failed', 'failed mail stays until an admin acts');
      assert.ok(second.logs.some((line) => line.includes('sent mail past its retention removed from the outbox')));
    } finally {
      await second.close();
    }
  });

  it('refuses what cannot be sent: 400 naming `to`, 400 without outgoing settings, 404 for an unknown mailbox', async () => {
    const target = await receiver();
    const mailboxId = await mailbox(target);
    const badTo = await sut.api.post(`/v1/mailboxes/${mailboxId}/test-mail`, { to: 'not an address' });
    assert.equal(badTo.status, 400);
    assert.match(JSON.stringify(badTo.body.message), /\bto\b/);
    assert.equal((await sut.api.post(`/v1/mailboxes/${mailboxId}/test-mail`, { to: 'a@b.example', cc: 'x' })).status, 400);
    assert.equal((await sut.api.patch(`/v1/mailboxes/${mailboxId}`, { outgoing: null })).status, 200);
    const noOutgoing = await testMail(mailboxId);
    assert.equal(noOutgoing.status, 400);
    assert.match(noOutgoing.body.message, /^outgoing /);
    assert.equal((await testMail('00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await sut.api.get('/v1/outbox?status=lost')).status, 400);
    assert.equal((await sut.api.get('/v1/outbox/00000000-0000-4000-8000-000000000000')).status, 404);
  });
});
