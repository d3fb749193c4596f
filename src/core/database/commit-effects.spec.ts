import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitEffects } from './commit-effects';

describe('CommitEffects', () => {
  it('runs collected effects once, after the commit, and nothing of a discarded attempt', () => {
    const counted: string[] = [];
    const attempt = new CommitEffects();
    attempt.add(() => counted.push('batch'));
    attempt.discard();
    const retry = new CommitEffects();
    const part = new CommitEffects();
    part.add(() => counted.push('mail 1'));
    retry.adopt(part);
    new CommitEffects().add(() => counted.push('rolled-back savepoint'));
    assert.deepEqual(counted, [], 'nothing before the commit');
    retry.run();
    retry.run();
    assert.deepEqual(counted, ['mail 1']);
  });
});
