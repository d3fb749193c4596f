import { setFlagsFromString } from 'node:v8';

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
