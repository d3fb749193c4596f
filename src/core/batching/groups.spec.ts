import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupsOf } from './groups';

describe('groupsOf', () => {
  const sizes = (groups: number[][]) => groups.map((group) => group.join('+'));

  it('closes a group at the count or before the byte budget would be passed, keeping order', () => {
    assert.deepEqual(sizes(groupsOf([1, 1, 1, 1, 1], (n) => n, { count: 2, bytes: 100 })), ['1+1', '1+1', '1']);
    assert.deepEqual(sizes(groupsOf([4, 4, 4, 1], (n) => n, { bytes: 9 })), ['4+4', '4+1']);
  });

  it('puts an item bigger than the budget in a group of its own, never drops one', () => {
    assert.deepEqual(sizes(groupsOf([1, 50, 1], (n) => n, { bytes: 10 })), ['1', '50', '1']);
    assert.deepEqual(groupsOf([], (n: number) => n, { bytes: 10 }), []);
  });
});
