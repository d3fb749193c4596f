import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { keepYoungGenerationSmall } from './v8-heap';

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
