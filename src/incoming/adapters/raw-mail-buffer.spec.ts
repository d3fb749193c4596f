import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSpooled, readSpooled, releaseBytes } from '../../core/spool/spooled-bytes';
import { RawMailBuffer } from './raw-mail-buffer';

function inMemory(raw: RawMailBuffer): Buffer {
  const bytes = raw.toBytes();
  assert.ok(Buffer.isBuffer(bytes), 'in memory');
  return bytes;
}

const pieces = (text: string, size: number): Buffer[] => {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

describe('RawMailBuffer', () => {
  it('puts the pieces of a mail into one buffer of the size the server announced, in shared memory', () => {
    const mail = 'Subject: hello\r\n\r\n' + 'x'.repeat(1000) + '\r\n';
    const raw = new RawMailBuffer(Buffer.byteLength(mail));
    for (const piece of pieces(mail, 7)) raw.append(piece);
    const result = inMemory(raw);
    assert.equal(result.toString(), mail);
    assert.equal(result.byteLength, result.buffer.byteLength, 'no second buffer, no slack');
    assert.ok(result.buffer instanceof SharedArrayBuffer);
  });

  it('keeps every byte when the server sends more than it announced', () => {
    const mail = 'y'.repeat(100_000);
    const raw = new RawMailBuffer(10);
    for (const piece of pieces(mail, 4096)) raw.append(piece);
    assert.equal(inMemory(raw).toString(), mail);
  });

  it('gives back the memory a server announced but never sent', () => {
    const raw = new RawMailBuffer(10 * 1024 * 1024);
    raw.append(Buffer.from('short mail\r\n'));
    const result = inMemory(raw);
    assert.equal(result.toString(), 'short mail\r\n');
    assert.equal(result.buffer.byteLength, result.length);
  });

  it('does not reserve what a server announces beyond any real mail', () => {
    const raw = new RawMailBuffer(Number.MAX_SAFE_INTEGER);
    raw.append(Buffer.from('tiny'));
    assert.equal(inMemory(raw).toString(), 'tiny');
  });

  it('works without an announced size, and for an empty mail', () => {
    const raw = new RawMailBuffer(0);
    assert.equal(inMemory(raw).length, 0);
    raw.append(Buffer.from('a'));
    raw.append(Buffer.from('b'));
    assert.equal(inMemory(raw).toString(), 'ab');
  });

  it('spools a mail announced larger than the spool limit to a file, and reads it back whole', () => {
    const mail = 'Subject: big\r\n\r\n' + 'y'.repeat(5000) + '\r\n';
    const raw = new RawMailBuffer(Buffer.byteLength(mail), 1000);
    for (const piece of pieces(mail, 700)) raw.append(piece);
    const bytes = raw.toBytes();
    assert.ok(isSpooled(bytes));
    assert.equal(bytes.length, Buffer.byteLength(mail));
    assert.equal(readSpooled(bytes).toString(), mail);
    assert.equal(readSpooled(bytes, 9, 12).toString(), 'big');
    releaseBytes(bytes);
    assert.throws(() => readSpooled(bytes), 'closed with its release');
    releaseBytes(bytes);
  });

  it('moves a mail that turns out larger than announced to a spool file as it grows past the limit', () => {
    const mail = 'Subject: liar\r\n\r\n' + 'z'.repeat(3000) + '\r\n';
    const raw = new RawMailBuffer(100, 1000);
    for (const piece of pieces(mail, 256)) raw.append(piece);
    const bytes = raw.toBytes();
    assert.ok(isSpooled(bytes));
    assert.equal(readSpooled(bytes).toString(), mail);
    releaseBytes(bytes);
  });
});
