import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { DEFAULT_DEADLINES } from '../../src/core/net/connection-options';
import { createMailTransport } from '../../src/outgoing/adapters/transport.registry';
import type { MailTransport } from '../../src/outgoing/mail-transport.port';
import { freePort } from '../support/ports';

/**
 * The outbox sends a mailbox's backlog over one transport per round, and SmtpTransport keeps
 * a session that delivered for the next mail (one TLS handshake + login per session, not per
 * mail). These tests count sessions at a plain receiver and check the ways a kept session
 * can go stale: the server ends it while idle, or refuses more mail on it.
 */
describe('SmtpTransport keeps a session for the next mail of the outbox round', () => {
  const servers: SMTPServer[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))));
  });

  async function receiver(options: Partial<SMTPServerOptions> = {}) {
    const stats = { sessions: 0, mails: 0 };
    const port = await freePort();
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      closeTimeout: 200,
      onConnect: (_session, callback) => {
        stats.sessions += 1;
        callback();
      },
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => {
          stats.mails += 1;
          callback(null);
        });
      },
      ...options,
    });
    server.on('error', () => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const transport = createMailTransport({
      protocol: 'smtp',
      endpoint: { host: '127.0.0.1', port },
      requireTls: false,
      credentials: { kind: 'none' },
      deadlines: { ...DEFAULT_DEADLINES, connectMs: 2_000, commandMs: 5_000 },
    });
    return { stats, transport };
  }

  const mail = (n: number) => Buffer.from(`From: a@deskmail.example\r\nTo: b@customer.example\r\nSubject: ${n}\r\nMessage-ID: <${n}.${Date.now()}@deskmail.example>\r\n\r\nmail ${n}\r\n`);
  const envelope = { from: 'a@deskmail.example', to: ['b@customer.example'] };
  const sendAll = async (transport: MailTransport, count: number) => {
    for (let n = 0; n < count; n++) assert.match((await transport.send(envelope, mail(n))).response, /^250 /);
  };

  it('sends ten mails over one session, and ends it on close', async () => {
    const { stats, transport } = await receiver();
    await sendAll(transport, 10);
    await transport.close();
    assert.deepEqual(stats, { sessions: 1, mails: 10 });
  });

  it('parallel sends open one session each and reuse them', async () => {
    const { stats, transport } = await receiver();
    await Promise.all([0, 1, 2].map(() => sendAll(transport, 4)));
    await transport.close();
    assert.deepEqual(stats, { sessions: 3, mails: 12 });
  });

  it('a session the server ended while idle: the next mail goes over a new one', async () => {
    // smtp-server closes a session that says nothing for socketTimeout (421 + close).
    const { stats, transport } = await receiver({ socketTimeout: 300 });
    await sendAll(transport, 1);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await sendAll(transport, 1);
    await transport.close();
    assert.deepEqual(stats, { sessions: 2, mails: 2 });
  });

  it('a server refusing a second mail on a session (421 at MAIL FROM): the mail goes over a new session, once', async () => {
    const { stats, transport } = await receiver({
      onMailFrom: (_address, session, callback) =>
        callback(session.transaction > 1 ? Object.assign(new Error('too many mails in this session'), { responseCode: 421 }) : undefined),
    });
    await sendAll(transport, 3);
    await transport.close();
    assert.deepEqual(stats, { sessions: 3, mails: 3 });
  });

  it('a refused mail is not retried on a new session (550 is about the mail, not the session)', async () => {
    let rcpts = 0;
    const { stats, transport } = await receiver({
      onRcptTo: (_address, _session, callback) => {
        rcpts += 1;
        callback(rcpts === 2 ? Object.assign(new Error('no such user'), { responseCode: 550 }) : undefined);
      },
    });
    await sendAll(transport, 1);
    await assert.rejects(transport.send(envelope, mail(2)), /550 no such user/);
    await sendAll(transport, 1);
    await transport.close();
    assert.equal(rcpts, 3);
    assert.equal(stats.mails, 2);
  });
});
