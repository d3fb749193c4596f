/**
 * Worker thread body: runs the prepare steps (parse, identify, loop check, thread hints) on
 * one raw mail and posts back what they found. Parsing is the CPU cost of ingest; running it
 * here lets it use every core while the main thread does network and database work.
 */
import { parentPort } from 'node:worker_threads';
import { isSpooled, observeSpools, type SpooledBytes } from '../../core/spool/spooled-bytes';
import type { MailboxPolicy } from '../pipeline/inbound-mail';
import { prepareSteps, type PreparedFields } from '../pipeline/prepare-steps';
import { prepareFields } from './prepared-fields';

export interface PrepareTask {
  id: number;
  /** A Buffer arrives as a Uint8Array; spooled bytes as they are (the descriptor is the process's). */
  raw: Uint8Array | SpooledBytes;
  policy: MailboxPolicy;
  now: number;
}

export type PrepareAnswer = { id: number; fields: PreparedFields } | { id: number; error: string };

/** A spool file this worker opened or closed (core/spool): the pool closes what a dead worker left open. */
export interface SpoolNotice {
  spool: { event: 'open' | 'close'; spooledFd: number; inode: number };
}

const steps = prepareSteps();

observeSpools((event, { spooledFd, inode }) => parentPort?.postMessage({ spool: { event, spooledFd, inode } } satisfies SpoolNotice));

parentPort?.on('message', (task: PrepareTask) => {
  void (async () => {
    try {
      const raw = isSpooled(task.raw) ? task.raw : Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
      const fields = await prepareFields(raw, task.policy, new Date(task.now), steps);
      parentPort!.postMessage({ id: task.id, fields } satisfies PrepareAnswer, transferables(fields));
    } catch (error) {
      parentPort!.postMessage({ id: task.id, error: error instanceof Error ? error.message : String(error) } satisfies PrepareAnswer);
    }
  })();
});

/**
 * The attachment contents that can move to the main thread instead of being copied: each
 * in an ArrayBuffer of its own (Buffer.concat gives every attachment above 4 KB one). A view
 * into Node's small-Buffer pool or into the shared raw mail is copied as before. This worker
 * never reads them again.
 */
function transferables(fields: PreparedFields): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { content } of fields.parsed?.attachments ?? []) {
    // A spooled attachment travels as its descriptor; the main thread releases it.
    if (isSpooled(content)) continue;
    const buffer = content.buffer;
    if (buffer instanceof ArrayBuffer && content.byteOffset === 0 && content.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}
