import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { isSpooled, releaseBytes, watchBytes, type MailBytes, type SpooledBytes } from '../../core/spool/spooled-bytes';
import type { MailboxPolicy } from '../pipeline/inbound-mail';
import type { PreparedFields } from '../pipeline/prepare-steps';
import type { PrepareAnswer, PrepareTask, SpoolNotice } from './prepare.worker';
import { prepareFields } from './prepared-fields';

/** A worker that has not answered within this long is stuck on one mail: it is replaced. */
const HARD_DEADLINE_MS = 60_000;

export interface PoolTiming {
  /**
   * Another worker starts only once the least busy one has had a mail waiting this long.
   * A worker is a V8 isolate with the parsing libraries loaded, about 25 MB; parsing takes
   * about 1 ms per mail and the database steps of the same mail longer, so one worker keeps
   * up with most runs, and a burst of mails need not start every worker at once.
   */
  spawnAfterWaitMs: number;
  /** A worker with nothing to do for this long exits; the next mail starts one again (~50 ms). */
  idleExitMs: number;
}

const DEFAULT_TIMING: PoolTiming = { spawnAfterWaitMs: 100, idleExitMs: 30_000 };

/**
 * A worker's V8 young generation. The default lets it grow to 48 MB per worker; parsing
 * makes short-lived garbage that a small one collects nearly as fast (mail contents are
 * Buffers, outside the V8 heap either way): 2 MB parses about 5 % fewer mails per second
 * than 4 MB, and parsing is not what limits a fetch (the database steps take several times
 * longer per mail). The old generation is left unbounded on purpose: a worker out of memory
 * would fail a mail that is merely large.
 */
const WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 2 };

interface Slot {
  worker: Worker;
  /** Task ids in flight on this worker → when each was sent. */
  inFlight: Map<number, number>;
  /** Spool files the worker has open (descriptor → inode) and has not handed over in an answer. */
  spools: Map<number, number>;
  idleTimer: NodeJS.Timeout | null;
}

interface Pending {
  resolve(fields: PreparedFields): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  slot: Slot;
}

/**
 * A small pool of worker threads for the prepare steps (DESKMAIL_PARSE_WORKERS at most,
 * default one per core; 0 runs them on the main thread). Workers start when mail waits for
 * one and exit when idle. A task goes to an idle worker, else to the least busy one. A
 * worker that crashes or exceeds the hard deadline fails only its own mails and is replaced.
 *
 * The raw mail is posted, not transferred: the fetch runner still needs it (quarantine keeps
 * the raw bytes). The mail sources hand over large mails in shared memory or, the largest,
 * in a spool file (incoming/adapters/raw-mail-buffer.ts), which the worker then reads without
 * a copy; attachments come back transferred, not copied, the largest spooled.
 */
@Injectable()
export class PrepareWorkerPool implements OnModuleDestroy {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** When workers start and stop; tests shorten it. */
  readonly timing: PoolTiming = { ...DEFAULT_TIMING };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.parseWorkers > 0 && !this.closed;
  }

  /** Workers running now (they start on demand and exit when idle). */
  get size(): number {
    return this.slots.length;
  }

  prepare(raw: MailBytes, policy: MailboxPolicy, now: Date): Promise<PreparedFields> {
    // Over the size limit the parse step only says "too large" and identify hashes the bytes:
    // no parsing to move off this thread, and no reason to start a worker or copy 25 MB into one.
    if (raw.length > policy.maxMailBytes) return prepareFields(raw, policy, now);
    const slot = this.pickSlot();
    const id = this.nextId++;
    return new Promise<PreparedFields>((resolve, reject) => {
      const timer = setTimeout(() => this.replace(slot, new Error(`preparing the mail took longer than ${HARD_DEADLINE_MS / 1000} s`)), HARD_DEADLINE_MS);
      this.pending.set(id, { resolve, reject, timer, slot });
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      slot.inFlight.set(id, performance.now());
      slot.worker.postMessage({ id, raw, policy, now: now.getTime() } satisfies PrepareTask);
    }).then(revive);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) if (slot.idleTimer) clearTimeout(slot.idleTimer);
    await Promise.all(slots.map((slot) => slot.worker.terminate().then(() => closeLeftSpools(slot))));
  }

  private pickSlot(): Slot {
    const idle = this.slots.find((slot) => slot.inFlight.size === 0);
    if (idle) return idle;
    const least = this.slots.reduce<Slot | null>((best, slot) => (!best || slot.inFlight.size < best.inFlight.size ? slot : best), null);
    if (!least || (this.slots.length < this.config.parseWorkers && oldestWaitMs(least) >= this.timing.spawnAfterWaitMs)) return this.spawn();
    return least;
  }

  private spawn(): Slot {
    // trackUnmanagedFds off: Node would close every descriptor the worker opened when it exits,
    // the spool files of attachments it handed over included. The pool closes what a stopped
    // worker had not handed over (closeLeftSpools).
    const worker = new Worker(path.join(__dirname, 'prepare.worker.js'), { resourceLimits: WORKER_LIMITS, trackUnmanagedFds: false });
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), spools: new Map(), idleTimer: null };
    this.slots.push(slot);
    worker.on('message', (message: PrepareAnswer | SpoolNotice) => ('spool' in message ? noteSpool(slot, message) : this.settle(slot, message)));
    worker.on('error', (error) => this.replace(slot, error));
    worker.on('exit', () => this.replace(slot, new Error('the parse worker stopped')));
    return slot;
  }

  private settle(slot: Slot, answer: PrepareAnswer): void {
    // Spooled attachments in the answer are this thread's now; the worker no longer holds them.
    const handedOver = 'fields' in answer ? spooledAttachments(answer.fields) : [];
    for (const spool of handedOver) slot.spools.delete(spool.spooledFd);
    const task = this.pending.get(answer.id);
    if (!task) {
      // An answer after its task was given up: nobody will take these.
      for (const spool of handedOver) releaseBytes(spool);
      return;
    }
    this.pending.delete(answer.id);
    clearTimeout(task.timer);
    slot.inFlight.delete(answer.id);
    if (slot.inFlight.size === 0 && this.slots.includes(slot)) {
      slot.idleTimer = setTimeout(() => this.retire(slot), this.timing.idleExitMs);
      slot.idleTimer.unref();
    }
    if ('error' in answer) task.reject(new Error(answer.error));
    else task.resolve(answer.fields);
  }

  /** An idle worker leaves the pool and exits; it has no tasks to fail. */
  private retire(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index === -1 || slot.inFlight.size > 0) return;
    this.slots.splice(index, 1);
    void slot.worker.terminate().then(() => closeLeftSpools(slot));
  }

  /** Fails the worker's tasks and takes it out of the pool; the next task spawns a fresh one. */
  private replace(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots.splice(index, 1);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    for (const id of slot.inFlight.keys()) {
      const task = this.pending.get(id);
      if (!task) continue;
      this.pending.delete(id);
      clearTimeout(task.timer);
      task.reject(error);
    }
    slot.inFlight.clear();
    void slot.worker.terminate().then(() => closeLeftSpools(slot));
  }
}

function noteSpool(slot: Slot, { spool }: SpoolNotice): void {
  if (spool.event === 'open') slot.spools.set(spool.spooledFd, spool.inode);
  else if (slot.spools.get(spool.spooledFd) === spool.inode) slot.spools.delete(spool.spooledFd);
}

/** What a stopped worker had spooled and not handed over (it died half way through a mail): closed. */
function closeLeftSpools(slot: Slot): void {
  for (const [spooledFd, inode] of slot.spools) releaseBytes({ spooledFd, inode, length: 0 });
  slot.spools.clear();
}

function spooledAttachments(fields: PreparedFields): SpooledBytes[] {
  return (fields.parsed?.attachments ?? []).map((attachment) => attachment.content as Uint8Array | SpooledBytes).filter(isSpooled);
}

/** How long the oldest mail in flight on a worker has been waiting for it. */
function oldestWaitMs(slot: Slot): number {
  let oldest = Infinity;
  for (const sentAt of slot.inFlight.values()) oldest = Math.min(oldest, sentAt);
  return oldest === Infinity ? 0 : performance.now() - oldest;
}

/**
 * Structured clone turns Buffers into Uint8Arrays: give attachment contents their Buffer back.
 * Spooled attachments are this thread's to release from now on (watched in case nobody does).
 */
function revive(fields: PreparedFields): PreparedFields {
  for (const attachment of fields.parsed?.attachments ?? []) {
    const content = attachment.content as Uint8Array | SpooledBytes;
    if (isSpooled(content)) watchBytes(content);
    else if (!Buffer.isBuffer(content)) attachment.content = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  return fields;
}
