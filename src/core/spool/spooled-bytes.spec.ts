import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { isSpooled, piecesOf, readSpooled, releaseBytes, SpoolWriter, streamOf, wholeBytes } from './spooled-bytes';

function spoolOf(pieces: Buffer[]) {
  const spool = new SpoolWriter();
  for (const piece of pieces) spool.append(piece);
  return spool;
}

describe('SpoolWriter and spooled bytes', () => {
  it('keeps line-sized and large pieces in order, and reads them back in any range', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`line ${i}\r\n`));
    const large = Buffer.alloc(600_000, 0x41);
    const expected = Buffer.concat([...lines, large, ...lines.slice(0, 10)]);
    const spool = spoolOf([...lines, large, ...lines.slice(0, 10)]);
    assert.equal(spool.length, expected.length, 'counts what is still gathered');
    const bytes = spool.finish();
    try {
      assert.ok(isSpooled(bytes) && !isSpooled(expected));
      assert.equal(bytes.length, expected.length);
      assert.ok(wholeBytes(bytes).equals(expected));
      assert.ok(readSpooled(bytes, 100, 5000).equals(expected.subarray(100, 5000)));
      assert.ok(Buffer.concat([...piecesOf(bytes, 70_000)]).equals(expected));
    } finally {
      releaseBytes(bytes);
    }
  });

  it('reuses one buffer for the pieces when asked, each read over the one before', () => {
    const expected = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 253));
    const bytes = spoolOf([expected]).finish();
    try {
      const seen: Buffer[] = [];
      const copies: Buffer[] = [];
      for (const piece of piecesOf(bytes, 100_000, { reuse: true })) {
        seen.push(piece);
        copies.push(Buffer.from(piece));
      }
      assert.equal(seen[0].buffer, seen[2].buffer, 'one buffer');
      assert.ok(Buffer.concat(copies).equals(expected));
    } finally {
      releaseBytes(bytes);
    }
  });

  it('streams the bytes', async () => {
    const expected = Buffer.alloc(700_000, 0x5a);
    const bytes = spoolOf([expected]).finish();
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of streamOf(bytes, 100_000)) chunks.push(chunk);
      assert.ok(Buffer.concat(chunks).equals(expected));
    } finally {
      releaseBytes(bytes);
    }
  });

  it('leaves no file behind, closes on release, and a second release leaves a reused descriptor alone', () => {
    const bytes = spoolOf([Buffer.from('hello')]).finish();
    assert.match(fs.readlinkSync(`/proc/self/fd/${bytes.spooledFd}`), /deskmail-spool-.*\(deleted\)$/, 'unlinked while open');
    releaseBytes(bytes);
    const other = fs.openSync(__filename, 'r');
    try {
      if (other === bytes.spooledFd) {
        releaseBytes(bytes);
        assert.ok(fs.fstatSync(other).isFile(), 'not closed: another inode');
      }
    } finally {
      fs.closeSync(other);
    }
    assert.throws(() => readSpooled(bytes), 'closed');
  });

  it('gives up a discarded spool', () => {
    const spool = spoolOf([Buffer.from('partial')]);
    const { spooledFd } = spool.finish();
    spool.discard();
    assert.throws(() => fs.fstatSync(spooledFd));
  });
});
