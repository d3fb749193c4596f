import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOB_PART_BYTES } from '../entities/attachment-blob.entity';
import { blobParts } from './incoming-message.writer';

describe('blobParts', () => {
  it('cuts a content into full parts and a shorter last one, as views of the same memory', () => {
    const content = Buffer.alloc(2 * BLOB_PART_BYTES + 3, 7);
    const parts = blobParts(content);
    assert.deepEqual(parts.map((part) => part.length), [BLOB_PART_BYTES, BLOB_PART_BYTES, 3]);
    assert.equal(parts[2].buffer, content.buffer, 'no copy');
    assert.ok(Buffer.concat(parts).equals(content));
  });

  it('gives an exact multiple no empty tail, and an empty content one empty part', () => {
    assert.deepEqual(blobParts(Buffer.alloc(BLOB_PART_BYTES)).map((part) => part.length), [BLOB_PART_BYTES]);
    assert.deepEqual(blobParts(Buffer.alloc(0)).map((part) => part.length), [0]);
  });
});
