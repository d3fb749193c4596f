import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawMailBuffer } from './raw-mail-buffer';

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
    const result = raw.toBuffer();
    assert.equal(result.toString(), mail);
    assert.equal(result.byteLength, result.buffer.byteLength, 'no second buffer, no slack');
    assert.ok(result.buffer instanceof SharedArrayBuffer);
  });

  it('keeps every byte when the server sends more than it announced', () => {
    const mail = 'y'.repeat(100_000);
    const raw = new RawMailBuffer(10);
    for (const piece of pieces(mail, 4096)) raw.append(piece);
    assert.equal(raw.toBuffer().toString(), mail);
  });

  it('gives back the memory a server announced but never sent', () => {
    const raw = new RawMailBuffer(10 * 1024 * 1024);
    raw.append(Buffer.from('short mail\r\n'));
    const result = raw.toBuffer();
    assert.equal(result.toString(), 'short mail\r\n');
    assert.equal(result.buffer.byteLength, result.length);
  });

  it('does not reserve what a server announces beyond any real mail', () => {
    const raw = new RawMailBuffer(Number.MAX_SAFE_INTEGER);
    raw.append(Buffer.from('tiny'));
    assert.equal(raw.toBuffer().toString(), 'tiny');
  });

  it('works without an announced size, and for an empty mail', () => {
    const raw = new RawMailBuffer(0);
    assert.equal(raw.toBuffer().length, 0);
    raw.append(Buffer.from('a'));
    raw.append(Buffer.from('b'));
    assert.equal(raw.toBuffer().toString(), 'ab');
  });
});
