import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createOAuthMailbox, OAUTH_ENV, sql } from '../support/oauth-fixtures';
import { startTestService, type ServiceUnderTest } from '../support/service';

const MAILBOXES = 8;

/** Statements the service's PostgreSQL clients send while `work` runs (the service runs in this process). */
async function countStatements(work: () => Promise<unknown>): Promise<number> {
  const original = Client.prototype.query;
  let statements = 0;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    statements += 1;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await work();
  } finally {
    Client.prototype.query = original;
  }
  return statements;
}

describe('mailbox list', () => {
  let sut: ServiceUnderTest;
  const ids: string[] = [];
  const oauthIds: string[] = [];

  before(async () => {
    sut = await startTestService({ env: OAUTH_ENV });
    const app = await sut.api.post('/v1/oauth2', {
      provider: 'custom',
      clientId: 'list-client',
      clientSecret: 'list-client-secret',
      authorizeUrl: 'https://auth.example.test/authorize',
      tokenUrl: 'https://auth.example.test/token',
      scopes: ['mail'],
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    for (let n = 0; n < MAILBOXES; n++) {
      if (n % 2 === 0) {
        const created = await sut.api.post('/v1/mailboxes', {
          name: `Password ${n}`,
          emailAddresses: [`password-${n}@example.test`],
          incoming: { protocol: 'imaps', authType: 'password', host: 'imap.example.test', username: `password-${n}`, password: 'imap-secret' },
          outgoing: { protocol: 'smtp', authType: 'password', host: 'smtp.example.test', username: `password-${n}`, password: 'smtp-secret' },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        ids.push(created.body.id);
        continue;
      }
      const id = await createOAuthMailbox(sut.api, app.body.id, `oauth-${n}@example.test`);
      const registered = await sut.api.put(`/v1/mailboxes/${id}/oauth2-tokens`, {
        side: 'incoming',
        accessToken: `access-${n}`,
        refreshToken: `refresh-${n}`,
        expires: new Date(Date.now() + 3_600_000).toISOString(),
        user: `oauth-${n}@example.test`,
      });
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      ids.push(id);
      oauthIds.push(id);
    }
    // Mailbox n: n requests, and one quarantined mail for every third; n failed outbox mails on password mailboxes.
    for (const [n, id] of ids.entries()) {
      for (let k = 0; k < n; k++) {
        await sql(sut, `INSERT INTO ledger_entry (mailbox_id, folder, server_id, size, outcome) VALUES ($1, 'INBOX', $2, 100, 'request')`, [id, `uid-${k}`]);
      }
      if (n % 3 === 0) await sql(sut, `INSERT INTO ledger_entry (mailbox_id, folder, server_id, size, outcome, action) VALUES ($1, 'INBOX', 'q', 100, 'quarantined', 'markSeen')`, [id]);
      if (n % 2 === 0) {
        for (let k = 0; k < n; k++) {
          await sql(
            sut,
            `INSERT INTO outbox_message (mailbox_id, kind, status, envelope_from, envelope_to, raw, message_id, subject, next_attempt_at)
             VALUES ($1, 'reply', 'failed', 'a@example.test', '[]', '\\x00', $2, 's', now())`,
            [id, `<m-${n}-${k}@example.test>`],
          );
        }
      }
    }
  });
  after(async () => sut?.close());

  it('shows each mailbox its own ledger, outbox and OAuth2 figures', async () => {
    const listed = await sut.api.get(`/v1/mailboxes?pageSize=${MAILBOXES}`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const byId = new Map<string, any>(listed.body.mailboxes.map((mailbox: any) => [mailbox.id, mailbox]));
    assert.equal(byId.size, MAILBOXES);
    for (const [n, id] of ids.entries()) {
      const mailbox = byId.get(id)!;
      const quarantined = n % 3 === 0 ? 1 : 0;
      assert.deepEqual(
        mailbox.incoming.ledger,
        { seen: n + quarantined, requests: n, appended: 0, duplicates: 0, quarantined, ignored: 0, unacknowledged: quarantined },
        `ledger of mailbox ${n}`,
      );
      if (oauthIds.includes(id)) {
        assert.equal(mailbox.incoming.oauth2.user, `oauth-${n}@example.test`, `grant of mailbox ${n}`);
        assert.equal(mailbox.outgoing, null);
      } else {
        assert.equal(mailbox.incoming.oauth2, undefined, `a password mailbox has no oauth2 summary (${n})`);
        assert.deepEqual(mailbox.outgoing.outbox, { queued: 0, failed: n }, `outbox of mailbox ${n}`);
      }
      // The single-mailbox view agrees with the list.
      const single = await sut.api.get(`/v1/mailboxes/${id}`);
      assert.deepEqual(single.body.incoming.ledger, mailbox.incoming.ledger);
      assert.deepEqual(single.body.incoming.oauth2, mailbox.incoming.oauth2);
    }
  });

  it('costs a few statements per page, not a few per mailbox', async () => {
    const statements = await countStatements(async () => {
      const listed = await sut.api.get(`/v1/mailboxes?pageSize=${MAILBOXES}`);
      assert.equal(listed.body.mailboxes.length, MAILBOXES);
    });
    // The page and its count, then one query each for ledger, outbox and grants: it used to be ~3 per mailbox.
    assert.ok(statements <= 8, `listing ${MAILBOXES} mailboxes sent ${statements} statements`);
  });
});
