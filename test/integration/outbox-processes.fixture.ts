import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { headerValue } from '../support/mail';
import { createDatabase, dropDatabase } from '../support/postgres';
import { freePort } from '../support/ports';
import { ApiClient, spawnService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess } from '../support/service';
import { makeTempDir, removeDir } from '../support/tmp';

/**
 * Fixtures for the outbox across processes on one PostgreSQL database (outbox-restart and
 * outbox-two-processes tests). The receiver is programmable per phase: `refuse` (421
 * greeting) to fill the queue through the API, `hang` after N mails (the DATA reply never
 * comes, so a killed sender cannot have had a 250 it did not record), `accept`.
 */
type Mode = { kind: 'refuse' } | { kind: 'accept'; delayMs?: number } | { kind: 'hang'; after: number };

export class PhasedReceiver {
  mode: Mode = { kind: 'refuse' };
  /** Message-IDs (without brackets) of every mail answered 250, in order. */
  readonly accepted: string[] = [];
  hanging = 0;
  port = 0;
  private server!: SMTPServer;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      closeTimeout: 200,
      onConnect: (_session, callback) => callback(this.mode.kind === 'refuse' ? Object.assign(new Error('busy, try later'), { responseCode: 421 }) : null),
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mode = this.mode;
          if (mode.kind === 'hang' && this.accepted.length >= mode.after) {
            this.hanging += 1; // no reply: the client waits until it dies
            return;
          }
          this.accepted.push(headerValue(Buffer.concat(chunks), 'message-id').slice(1, -1));
          setTimeout(() => callback(null), mode.kind === 'accept' ? (mode.delayMs ?? 0) : 0);
        });
      },
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Cluster {
  receiver: PhasedReceiver;
  databaseUrl: string;
  /** A service process with workers on, on the shared database; 3 s leases, fast ticks and retries. */
  spawn(): Promise<{ process: ServiceProcess; api: ApiClient }>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const receiver = new PhasedReceiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const databaseUrl = await createDatabase();
  cleanups.push(() => dropDatabase(databaseUrl));
  return {
    receiver,
    databaseUrl,
    async spawn() {
      const dataDir = makeTempDir('deskmail-outbox-');
      const process = spawnService({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        DESKMAIL_API_TOKEN: TEST_API_TOKEN,
        DESKMAIL_SECRET: TEST_SECRET,
        DESKMAIL_WORKERS: 'true',
        DESKMAIL_OUTBOX_TICK_MS: '100',
        DESKMAIL_OUTBOX_RETRY_BASE_MS: '200',
        DESKMAIL_OUTBOX_MAX_ATTEMPTS: '50',
        DESKMAIL_OUTBOX_LEASE_MS: '3000',
        DESKMAIL_OUTBOX_CONCURRENCY: '4',
        DESKMAIL_SCHEDULER_TICK_MS: '600000',
        LOG_LEVEL: 'warn',
      });
      cleanups.push(async () => {
        await process.stop('SIGKILL');
        removeDir(dataDir);
      });
      return { process, api: new ApiClient(await process.url, TEST_API_TOKEN) };
    },
    async close() {
      for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    },
  };
}

/** A mailbox whose outgoing side is switched off, so queued mail waits until the test opens it. */
export async function closedMailbox(api: ApiClient, port: number): Promise<string> {
  const response = await api.post('/v1/mailboxes', {
    name: 'Queue',
    emailAddresses: ['support@deskmail.example'],
    incoming: { protocol: 'imaps', authType: 'password', host: 'imap.deskmail.example', username: 'support@deskmail.example', password: 'unused', enabled: false },
    outgoing: { protocol: 'smtp', authType: 'none', host: '127.0.0.1', port, tls: false, senderName: 'Support', enabled: false },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id;
}

export async function openMailbox(api: ApiClient, mailboxId: string): Promise<void> {
  assert.equal((await api.patch(`/v1/mailboxes/${mailboxId}`, { outgoing: { enabled: true } })).status, 200);
}

/** Fills the queue through the API: every test mail meets a 421 greeting and stays queued. */
export async function queueTestMails(apis: ApiClient[], mailboxId: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, (_, i) =>
        apis[(start + i) % apis.length].post(`/v1/mailboxes/${mailboxId}/test-mail`, { to: `requester${start + i}@customer.example` }),
      ),
    );
    for (const answer of answers) assert.equal(answer.body.code, 'CONNECTION_FAILED', JSON.stringify(answer.body));
  }
}

export const total = async (api: ApiClient, status: string): Promise<number> => (await api.get(`/v1/outbox?status=${status}&pageSize=1`)).body.total;

export async function allMessageIds(api: ApiClient): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { body } = await api.get(`/v1/outbox?page=${page}&pageSize=200`);
    ids.push(...body.messages.map((m: { messageId: string }) => m.messageId));
    if (ids.length >= body.total || body.messages.length === 0) return ids;
  }
}

export function assertEachOnce(accepted: string[], expected: string[]): void {
  const duplicates = accepted.filter((id, i) => accepted.indexOf(id) !== i);
  assert.deepEqual(duplicates, [], 'no Message-ID arrived twice');
  assert.deepEqual([...accepted].sort(), [...expected].sort(), 'every queued mail arrived');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
