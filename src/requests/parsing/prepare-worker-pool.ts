import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import type { MailboxPolicy } from '../pipeline/inbound-mail';
import type { PreparedFields } from '../pipeline/prepare-steps';
import type { PrepareAnswer, PrepareTask } from './prepare.worker';

/** A worker that has not answered within this long is stuck on one mail: it is replaced. */
const HARD_DEADLINE_MS = 60_000;

interface Pending {
  resolve(fields: PreparedFields): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  worker: Worker;
}

/**
 * A small pool of worker threads for the prepare steps (DESKMAIL_PARSE_WORKERS, default one
 * per core; 0 runs them on the main thread). Tasks go to the least busy worker. A worker
 * that crashes or exceeds the hard deadline fails only its own mails and is replaced.
 */
@Injectable()
export class PrepareWorkerPool implements OnModuleDestroy {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();
  private nextId = 1;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.parseWorkers > 0 && !this.closed;
  }

  prepare(raw: Buffer, policy: MailboxPolicy, now: Date): Promise<PreparedFields> {
    const worker = this.pickWorker();
    const id = this.nextId++;
    return new Promise<PreparedFields>((resolve, reject) => {
      const timer = setTimeout(() => this.replace(worker, new Error(`preparing the mail took longer than ${HARD_DEADLINE_MS / 1000} s`)), HARD_DEADLINE_MS);
      this.pending.set(id, { resolve, reject, timer, worker });
      this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
      worker.postMessage({ id, raw, policy, now: now.getTime() } satisfies PrepareTask);
    }).then(revive);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private pickWorker(): Worker {
    while (this.workers.length < this.config.parseWorkers) this.workers.push(this.spawn());
    return this.workers.reduce((best, w) => ((this.load.get(w) ?? 0) < (this.load.get(best) ?? 0) ? w : best));
  }

  private spawn(): Worker {
    const worker = new Worker(path.join(__dirname, 'prepare.worker.js'));
    worker.unref();
    this.load.set(worker, 0);
    worker.on('message', (answer: PrepareAnswer) => this.settle(answer));
    worker.on('error', (error) => this.replace(worker, error));
    worker.on('exit', () => this.replace(worker, new Error('the parse worker stopped')));
    return worker;
  }

  private settle(answer: PrepareAnswer): void {
    const task = this.pending.get(answer.id);
    if (!task) return;
    this.pending.delete(answer.id);
    clearTimeout(task.timer);
    this.load.set(task.worker, Math.max(0, (this.load.get(task.worker) ?? 1) - 1));
    if ('error' in answer) task.reject(new Error(answer.error));
    else task.resolve(answer.fields);
  }

  /** Fails the worker's tasks and takes it out of the pool; the next task spawns a fresh one. */
  private replace(worker: Worker, error: Error): void {
    const index = this.workers.indexOf(worker);
    if (index === -1) return;
    this.workers.splice(index, 1);
    this.load.delete(worker);
    for (const [id, task] of this.pending) {
      if (task.worker !== worker) continue;
      this.pending.delete(id);
      clearTimeout(task.timer);
      task.reject(error);
    }
    void worker.terminate();
  }
}

/** Structured clone turns Buffers into Uint8Arrays: give attachment contents their Buffer back. */
function revive(fields: PreparedFields): PreparedFields {
  for (const attachment of fields.parsed?.attachments ?? []) {
    const content = attachment.content as Uint8Array;
    if (!Buffer.isBuffer(content)) attachment.content = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  return fields;
}
