import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { isSpooled, readSpooled, releaseBytes } from '../../core/spool/spooled-bytes';
import type { AppConfig } from '../../core/config/app-config';
import { fixtureMailbox } from '../../../test/fixtures/mail/mail-fixtures';
import { PrepareWorkerPool } from './prepare-worker-pool';
import { openSpoolFiles } from '../../../test/support/spool';

const policy = fixtureMailbox({ acknowledge: false });

function mail(n: number, attachment?: Buffer): Buffer {
  const head = ['From: Requester <requester@example.test>', 'To: support@example.test', `Subject: mail ${n}`, `Message-ID: <pool-${n}@example.test>`, 'MIME-Version: 1.0'];
  if (!attachment) return Buffer.from([...head, 'Content-Type: text/plain', '', `Body ${n}.`, ''].join('\r\n'));
  return Buffer.from(
    [
      ...head,
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'See attached.',
      '--b',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b--',
      '',
    ].join('\r\n'),
  );
}

const pools: PrepareWorkerPool[] = [];
after(() => Promise.all(pools.map((pool) => pool.onModuleDestroy())));

function pool(parseWorkers: number, timing: Partial<PrepareWorkerPool['timing']> = {}): PrepareWorkerPool {
  const created = new PrepareWorkerPool({ parseWorkers } as AppConfig);
  Object.assign(created.timing, timing);
  pools.push(created);
  return created;
}

describe('PrepareWorkerPool', () => {
  it('parses a mail on a worker and gives the attachment back as a Buffer with its bytes', async () => {
    const bytes = randomBytes(300_000);
    const fields = await pool(1).prepare(mail(1, bytes), policy, new Date());
    assert.equal(fields.identity, 'pool-1@example.test');
    const [attachment] = fields.parsed!.attachments;
    assert.ok(Buffer.isBuffer(attachment.content));
    assert.ok(attachment.content.equals(bytes));
  });

  it('reads a mail handed over in shared memory, and leaves it as it was', async () => {
    const bytes = randomBytes(50_000);
    const plain = mail(2, bytes);
    const shared = Buffer.from(new SharedArrayBuffer(plain.length));
    plain.copy(shared);
    const fields = await pool(1).prepare(shared, policy, new Date());
    assert.ok((fields.parsed!.attachments[0].content as Buffer).equals(bytes));
    assert.ok(shared.equals(plain));
  });

  it('turns away a mail over the size limit without starting a worker for it', async () => {
    const workers = pool(2);
    const raw = mail(3, randomBytes(3000));
    const fields = await workers.prepare(raw, { ...policy, maxMailBytes: 1000 }, new Date());
    assert.equal(fields.quarantine?.reason, 'too large');
    assert.equal(fields.identity, `sha256:${createHash('sha256').update(raw).digest('hex')}`, 'not parsed: keyed by its bytes');
    assert.equal(workers.size, 0);
  });

  it('keeps to one worker while it keeps up with a burst of mails', async () => {
    const workers = pool(4);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => workers.prepare(mail(10 + n), policy, new Date())));
    assert.deepEqual(answers.map((fields) => fields.parsed!.subject), Array.from({ length: 10 }, (_, n) => `mail ${10 + n}`));
    assert.equal(workers.size, 1);
  });

  it('starts more workers, up to DESKMAIL_PARSE_WORKERS, once mail waits for one', async () => {
    const workers = pool(3, { spawnAfterWaitMs: 0 });
    await Promise.all(Array.from({ length: 6 }, (_, n) => workers.prepare(mail(20 + n), policy, new Date())));
    assert.equal(workers.size, 3);
  });

  it('lets an idle worker exit and starts a new one for the next mail', async () => {
    const workers = pool(2, { idleExitMs: 20 });
    await workers.prepare(mail(30), policy, new Date());
    assert.equal(workers.size, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(workers.size, 0);
    const fields = await workers.prepare(mail(31), policy, new Date());
    assert.equal(fields.parsed!.subject, 'mail 31');
    assert.equal(workers.size, 1);
  });

  it('hands spooled attachments over, and closes what a worker stopped half way through a mail left open', async () => {
    const spooling = fixtureMailbox({ acknowledge: false, spoolAboveBytes: 1024 });
    const before = openSpoolFiles();
    const small = randomBytes(100_000);
    const idle = pool(1, { idleExitMs: 20 });
    const fields = await idle.prepare(mail(40, small), spooling, new Date());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(idle.size, 0, 'the worker exited');
    const [attachment] = fields.parsed!.attachments;
    assert.ok(isSpooled(attachment.content) && readSpooled(attachment.content).equals(small), 'handed over in a spool file that outlives the worker');
    releaseBytes(attachment.content);
    assert.equal(openSpoolFiles(), before);

    const stopped = pool(1);
    const unfinished = stopped.prepare(mail(41, randomBytes(30_000_000)), { ...spooling, maxMailBytes: 64 * 1024 * 1024 }, new Date());
    unfinished.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    while (openSpoolFiles() === before) {
      assert.ok(Date.now() < deadline, 'the worker started spooling');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await stopped.onModuleDestroy();
    assert.equal(openSpoolFiles(), before, 'closed with the worker');
  });
});

