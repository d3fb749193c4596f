import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { collectGarbageEvery, keepYoungGenerationSmall } from './v8-heap';

const newSpaceBytes = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;

describe('keepYoungGenerationSmall', () => {
  it('leaves the young generation to an operator who sized it in NODE_OPTIONS or on the command line', () => {
    assert.equal(keepYoungGenerationSmall('--max-semi-space-size=8', [], false), false);
    assert.equal(keepYoungGenerationSmall('', ['--semi_space_growth_factor=2'], false), false);
  });

  it('leaves it alone on the embedded database, whose statements run on the main thread', () => {
    assert.equal(keepYoungGenerationSmall('', [], true), false);
  });

  it('keeps the young generation from growing however much survives', () => {
    const before = newSpaceBytes();
    assert.equal(keepYoungGenerationSmall('', [], false), true);
    const kept: object[] = [];
    for (let i = 0; i < 1_000_000; i++) kept.push({ i });
    assert.ok(newSpaceBytes() <= Math.max(before, 2 * 1024 * 1024), `new space grew to ${newSpaceBytes()} bytes`);
    assert.equal(kept.length, 1_000_000);
  });
});

describe('collectGarbageEvery', () => {
  /** Full (mark-compact) collections a thread runs while `work` runs, counted by a GC observer. */
  const countInWorker = (code: string): Promise<{ major: number }> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         const { PerformanceObserver, constants } = require('node:perf_hooks');
         const { collectGarbageEvery } = require(${JSON.stringify(require.resolve('./v8-heap'))});
         let major = 0;
         const observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++; });
         observer.observe({ entryTypes: ['gc'] });
         ${code}
         setTimeout(() => { observer.disconnect(); parentPort.postMessage({ major }); }, 100);`,
        { eval: true },
      );
      worker.once('message', resolve);
      worker.once('error', reject);
    });

  it('on a worker thread, runs a full collection after every `everyBytes` of pieces', async () => {
    const { major } = await countInWorker(`const seen = collectGarbageEvery(1000); for (let i = 0; i < 10; i++) seen({ length: 500 });`);
    assert.ok(major >= 5, `${major} full collections for 5000 bytes in pieces of 500, one per 1000`);
  });

  it('on a worker thread, none while less than `everyBytes` went by', async () => {
    const { major } = await countInWorker(`const seen = collectGarbageEvery(1_000_000); for (let i = 0; i < 10; i++) seen({ length: 500 });`);
    assert.equal(major, 0);
  });

  it('on the main thread, never: a pause there would stop the whole service', () => {
    const seen = collectGarbageEvery(1);
    assert.doesNotThrow(() => seen({ length: 10 }));
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc is not exposed to the main thread');
  });
});
