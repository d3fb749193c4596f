import nodemailer from 'nodemailer';
import { Database } from '../src/core/database/database';
import type { Envelope } from '../src/outgoing/mail-transport.port';
import { OUTBOX, type Outbox } from '../src/outgoing/outbox.port';
import { OutboxSender } from '../src/outgoing/outbox/outbox-sender';
import { startTestService } from '../test/support/service';
import { startSmtpReceiver, type SmtpReceiver } from '../test/support/smtp-receiver';
import type { BenchContext, BenchScenario } from './bench.types';
import { round } from './load';

const MAILS = 2_000;
const CONCURRENCY = 4;
const USER = 'bench@deskmail.example';
const PASSWORD = 'bench-pass';

/**
 * Outbox throughput: 2,000 queued mails drained by the OutboxSender into a local SMTP
 * receiver (smtp + STARTTLS + AUTH PLAIN, as a submission server), timed from the sender's
 * start until every row is recorded `sent`. Next to it, in the same run and against the same
 * kind of receiver, nodemailer sends the same bytes directly with the same concurrency: once
 * with a new connection per mail (what the outbox does) and once pooled (connection reuse).
 */
export const outboxScenario: BenchScenario = {
  name: 'outbox',
  description: `mails/s from a queue of ${MAILS} to a local SMTP receiver vs nodemailer sending the same bytes directly`,
  async run(context) {
    const sut = await startTestService({ env: { LOG_LEVEL: 'warn', DESKMAIL_OUTBOX_TICK_MS: '100', DESKMAIL_OUTBOX_CONCURRENCY: String(CONCURRENCY) } });
    const receivers: SmtpReceiver[] = [];
    const receiver = async () => {
      const started = await startSmtpReceiver({ tls: { key: context.env.trustedCert.key, cert: context.env.trustedCert.cert }, users: { [USER]: PASSWORD } });
      receivers.push(started);
      return started;
    };
    try {
      const target = await receiver();
      const created = await sut.api.post('/v1/mailboxes', {
        name: 'Bench',
        emailAddresses: ['support@deskmail.example'],
        incoming: { protocol: 'imaps', authType: 'password', host: 'imap.deskmail.example', username: 'x', password: 'unused', enabled: false },
        outgoing: { protocol: 'smtp', authType: 'password', host: target.host, port: target.port, username: USER, password: PASSWORD, caCertificate: context.env.caCert },
      });
      if (created.status !== 201) throw new Error(`mailbox: ${JSON.stringify(created.body)}`);
      const mails = await enqueue(sut.service.app.get(Database), sut.service.app.get<Outbox>(OUTBOX, { strict: false }), created.body.id);

      const started = performance.now();
      sut.service.app.get(OutboxSender).start();
      await target.waitForMessages(MAILS, 600_000);
      const db = sut.service.app.get(Database);
      while (Number((await db.run((em) => em.query(`SELECT count(*)::int AS n FROM outbox_message WHERE status = 'sent'`)))[0].n) < MAILS) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const outboxSeconds = (performance.now() - started) / 1000;
      const duplicates = target.received().length - new Set(target.received().map((m) => m.messageId)).size;

      const direct = await nodemailerRate(await receiver(), mails, context, false);
      const pooled = await nodemailerRate(await receiver(), mails, context, true);
      const outboxRate = MAILS / outboxSeconds;
      return {
        scenario: 'outbox',
        figures: { 'outbox mails/s': round(outboxRate), [`seconds for ${MAILS}`]: round(outboxSeconds), duplicates, concurrency: CONCURRENCY },
        baseline: {
          'nodemailer, new connection per mail, mails/s': round(direct),
          'nodemailer pooled (reused connections), mails/s': round(pooled),
        },
        ratios: {
          'outbox ÷ nodemailer new connection per mail': { value: round(outboxRate / direct) },
          'outbox ÷ nodemailer pooled': { value: round(outboxRate / pooled) },
        },
        notes: [
          'every figure: smtp + STARTTLS + AUTH PLAIN to an in-process smtp-server, 4 sends at once',
          'the outbox figure includes claiming (SKIP LOCKED), reading each mail from PostgreSQL and recording it sent',
        ],
      };
    } finally {
      await sut.close();
      await Promise.all(receivers.map((r) => r.stop()));
    }
  },
};

/** Enqueues MAILS acknowledgements in transactions of 100, as the requests pipeline would; returns their bytes. */
async function enqueue(db: Database, outbox: Outbox, mailboxId: string): Promise<Array<{ envelope: Envelope; raw: Buffer }>> {
  const mails: Array<{ envelope: Envelope; raw: Buffer }> = [];
  for (let start = 0; start < MAILS; start += 100) {
    await db.transaction(async (em) => {
      for (let n = start; n < start + 100; n++) {
        const to = `requester${n}@customer.example`;
        const queued = await outbox.enqueue(em, {
          mailboxId,
          requestId: null,
          kind: 'acknowledgement',
          to: [{ name: `Requester ${n}`, email: to }],
          subject: `[##${1000 + n}##] Your request was received`,
          text: `Thank you for your mail. We will answer request ${1000 + n} soon.\n\n${'Lorem ipsum dolor sit amet. '.repeat(20)}`,
          autoReply: true,
        });
        mails.push({ envelope: { from: 'support@deskmail.example', to: [to] }, raw: queued.raw });
      }
    });
  }
  return mails;
}

/** nodemailer alone: the same bytes and envelopes, CONCURRENCY at once. */
async function nodemailerRate(target: SmtpReceiver, mails: Array<{ envelope: Envelope; raw: Buffer }>, context: BenchContext, pool: boolean): Promise<number> {
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: false,
    requireTLS: true,
    auth: { user: USER, pass: PASSWORD },
    tls: { ca: context.env.caCert },
    ...(pool ? { pool: true, maxConnections: CONCURRENCY, maxMessages: Infinity } : {}),
  });
  try {
    const queue = [...mails];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let mail = queue.shift(); mail; mail = queue.shift()) await transport.sendMail({ envelope: { from: mail.envelope.from, to: mail.envelope.to }, raw: mail.raw });
      }),
    );
    return mails.length / ((performance.now() - started) / 1000);
  } finally {
    transport.close();
  }
}
