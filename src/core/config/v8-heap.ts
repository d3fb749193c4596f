import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/**
 * Keeps the main thread's V8 young generation at its initial 1 MB per semi-space instead
 * of letting it grow to 16 MB each (Node 20's default maximum). Start-up (Nest, TypeORM
 * metadata, the OpenAPI document) makes V8 grow it to the maximum at once and it stays
 * resident, 30 MB of an idle service's ~137 MB. What the main thread allocates per mail
 * is short-lived (parsing runs on worker threads, mail bytes live outside the V8 heap), so
 * small semi-spaces cost more frequent, shorter scavenges and no measurable throughput
 * (issue: peak RSS of a fetch with a 25 MB mail).
 *
 * Not on the embedded database: there PGlite runs every statement on this same thread and
 * allocates per statement; 1 MB semi-spaces cost it ~20 % of its ingest rate (582 → 482
 * mails/s in `npm run bench ingest`), and PGlite's own memory dwarfs the 30 MB saved.
 *
 * The growth factor is read each time V8 would grow the space, so unlike
 * --max-semi-space-size it takes effect when set from inside the process; it must run
 * before the heavy modules load. An operator who sizes the young generation with
 * NODE_OPTIONS (--max-semi-space-size, --semi-space-growth-factor) keeps that choice.
 */
export function keepYoungGenerationSmall(nodeOptions = process.env.NODE_OPTIONS ?? '', execArgv = process.execArgv, embeddedDatabase = !process.env.DATABASE_URL): boolean {
  if (embeddedDatabase) return false;
  if (/semi[-_]space/.test(nodeOptions) || execArgv.some((arg) => /semi[-_]space/.test(arg))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/**
 * On a worker thread: a function to call with each piece of a large input it streams,
 * which runs a full garbage collection after every `everyBytes`. Streaming a 25 MB mail
 * through mailparser leaves ~30 MB of dead Buffers (the read pieces, the split lines, the
 * decoded attachment pieces) that V8 frees only once external memory has grown by 64 MB
 * since its last collection; collecting every MB or so keeps a worker's peak near its live
 * size (the 25 MB mail imported: ~20 MB less at the peak, for ~10 ms per collection, about
 * a quarter of a second in all). Off the main thread only, where a pause stops nothing but
 * the parse; on the main thread, and wherever the collector cannot be reached, it does
 * nothing.
 */
export function collectGarbageEvery(everyBytes: number): (piece: { length: number }) => void {
  const collect = isMainThread ? null : workerCollector();
  if (!collect) return () => undefined;
  let since = 0;
  return (piece) => {
    since += piece.length;
    if (since < everyBytes) return;
    since = 0;
    collect();
  };
}

let collector: (() => void) | null | undefined;

/** V8's gc(), made reachable in a fresh context (the flag is read when a context is created). */
function workerCollector(): (() => void) | null {
  if (collector !== undefined) return collector;
  try {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  } catch {
    collector = null;
  }
  return collector;
}
