import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const noJitter = () => 0.5;
  const fiveMinutes = 5 * 60_000;

  it('waits the normal interval when nothing failed', () => {
    assert.equal(backoffDelayMs(0, fiveMinutes, noJitter), fiveMinutes);
  });

  it('doubles from 30 s with each failure', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelayMs(n, 60 * 60_000, noJitter)), [30_000, 60_000, 120_000, 240_000]);
  });

  it('never waits longer than the fetch interval', () => {
    assert.equal(backoffDelayMs(30, fiveMinutes, noJitter), fiveMinutes);
    assert.equal(backoffDelayMs(30, fiveMinutes, () => 0.999), fiveMinutes);
  });

  it('spreads retries by at most 20 %', () => {
    assert.equal(backoffDelayMs(1, 60 * 60_000, () => 0), 24_000);
    assert.equal(backoffDelayMs(1, 60 * 60_000, () => 1), 36_000);
  });
});
