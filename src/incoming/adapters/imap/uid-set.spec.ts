import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uidRanges, uidSets } from './uid-set';

describe('uidRanges', () => {
  const cases: Array<[number[], string[]]> = [
    [[], []],
    [[7], ['7']],
    [[1, 2, 3, 4, 5, 7, 9, 10, 11, 12], ['1:5', '7', '9:12']],
    [[12, 9, 7, 11, 10, 1, 3, 2, 5, 4], ['1:5', '7', '9:12']],
    [[3, 3, 4, 4], ['3:4']],
    [[1, 3, 5], ['1', '3', '5']],
    [[0, -1, 1.5, 2], ['2']],
  ];
  for (const [uids, expected] of cases) {
    it(`compresses ${JSON.stringify(uids)} to ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(uidRanges(uids), expected);
    });
  }
});

describe('uidSets', () => {
  it('joins ranges into one set', () => {
    assert.deepEqual(uidSets([1, 2, 3, 4, 5, 7, 9, 10, 11, 12]), ['1:5,7,9:12']);
  });

  it('splits sets that would make a command line too long', () => {
    const uids = Array.from({ length: 100 }, (_, i) => 1000 + i * 2);
    const sets = uidSets(uids, 50);
    assert.ok(sets.length > 1);
    for (const set of sets) assert.ok(set.length <= 50, set);
    assert.deepEqual(sets.join(',').split(',').map(Number), uids);
  });

  it('returns no set for no UIDs', () => {
    assert.deepEqual(uidSets([]), []);
  });
});
