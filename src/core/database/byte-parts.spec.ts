import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseBytes, SpoolWriter } from '../spool/spooled-bytes';
import { PART_BYTES, partsOf } from './byte-parts';

describe('partsOf', () => {
  it('cuts a value into full parts and a shorter last one, as views of the same memory', () => {
    const content = Buffer.alloc(2 * PART_BYTES + 3, 7);
    const parts = [...partsOf(content)];
    assert.deepEqual(parts.map((part) => part.length), [PART_BYTES, PART_BYTES, 3]);
    assert.equal(parts[2].buffer, content.buffer, 'no copy');
    assert.ok(Buffer.concat(parts).equals(content));
  });

  it('gives an exact multiple no empty tail, and an empty value one empty part', () => {
    assert.deepEqual([...partsOf(Buffer.alloc(PART_BYTES))].map((part) => part.length), [PART_BYTES]);
    assert.deepEqual([...partsOf(Buffer.alloc(0))].map((part) => part.length), [0]);
  });

  it('reads the parts of spooled bytes from their file, one when asked for', () => {
    const content = Buffer.from(Array.from({ length: PART_BYTES + 10 }, (_, i) => i % 251));
    const spool = new SpoolWriter();
    spool.append(content);
    const spooled = spool.finish();
    try {
      const parts = [...partsOf(spooled)];
      assert.deepEqual(parts.map((part) => part.length), [PART_BYTES, 10]);
      assert.ok(Buffer.concat(parts).equals(content));
    } finally {
      releaseBytes(spooled);
    }
  });
});
