import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testEnv } from '../support/env';
import { waitUntil } from '../support/mailboxes';
import { startTestService } from '../support/service';
import { startSmtpReceiver } from '../support/smtp-receiver';

const USER = 'outbox-user@deskmail.example';
const PASSWORD = 'outbox-pass';
const SENDER = 'support@deskmail.example';
const OUTBOX_TEST_ENV = { DESKMAIL_WORKERS: 'true', DESKMAIL_OUTBOX_TICK_MS: '100', DESKMAIL_OUTBOX_RETRY_BASE_MS: '200', DESKMAIL_SCHEDULER_TICK_MS: '600000', LOG_LEVEL: 'warn' };

describe('the outbox on the embedded database (PGlite)', { timeout: 60_000 }, () => {
  it('sends a test mail now, and a deferred one from the queue exactly once', async () => {
    const sut = await startTestService({ database: 'embedded', env: OUTBOX_TEST_ENV });
    const cert = testEnv().trustedCert;
    const target = await startSmtpReceiver({ tls: { key: cert.key, cert: cert.cert }, users: { [USER]: PASSWORD }, faults: [{ stage: 'data', code: 451, times: 1 }] });
    try {
      const created = await sut.api.post('/v1/mailboxes', {
        name: 'Embedded outbox',
        emailAddresses: [SENDER],
        incoming: { protocol: 'imaps', authType: 'password', host: 'imap.deskmail.example', username: SENDER, password: 'unused', enabled: false },
        outgoing: { protocol: 'smtp', authType: 'password', host: target.host, port: target.port, username: USER, password: PASSWORD, caCertificate: testEnv().caCert },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const deferred = await sut.api.post(`/v1/mailboxes/${created.body.id}/test-mail`, { to: 'first@customer.example' });
      assert.equal(deferred.status, 502, JSON.stringify(deferred.body));
      const sent = await sut.api.post(`/v1/mailboxes/${created.body.id}/test-mail`, { to: 'second@customer.example' });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      await target.waitForMessages(2, 30_000);
      await waitUntil(async () => (await sut.api.get('/v1/outbox?status=sent')).body.total === 2, 10_000, 'both rows sent');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.deepEqual(target.received().map((m) => m.to[0]).sort(), ['first@customer.example', 'second@customer.example']);
    } finally {
      await sut.close();
      await target.stop();
    }
  });
});
