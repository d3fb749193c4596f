import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { isSpooled, readSpooled, releaseBytes, SpoolWriter, type SpooledBytes } from '../../core/spool/spooled-bytes';
import { TooComplexError } from './mail-errors';
import { identityOf } from './mail-identity';
import { parseMail } from './mail-parser';
import { openSpoolFiles } from '../../../test/support/spool';

function mailWith(files: Buffer[], messageId = true): Buffer {
  const parts = files.map((file, i) => `--b\r\nContent-Type: application/pdf; name="f${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${file.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`);
  const head = `From: a@example.org\r\nSubject: scans\r\n${messageId ? 'Message-ID: <scans@example.org>\r\n' : ''}Content-Type: multipart/mixed; boundary="b"\r\n\r\n`;
  return Buffer.from(head + `--b\r\nContent-Type: text/plain\r\n\r\nTwo scans.\r\n` + parts.join('') + '--b--\r\n');
}

function spooled(bytes: Buffer): SpooledBytes {
  const spool = new SpoolWriter();
  spool.append(bytes);
  return spool.finish();
}

describe('parseMail on spooled mail', () => {
  it('reads a spooled mail and spools each attachment above spoolAboveBytes, byte for byte', async () => {
    const [large, small] = [randomBytes(300_000), randomBytes(1_000)];
    const raw = mailWith([large, small]);
    const file = spooled(raw);
    try {
      const parsed = await parseMail(file, { fallbackCharset: 'windows-1252', spoolAboveBytes: 100_000 });
      assert.equal(parsed.text.trim(), 'Two scans.');
      assert.equal(parsed.size, raw.length);
      const [first, second] = parsed.attachments;
      assert.ok(isSpooled(first.content), 'the large attachment is in a spool file');
      assert.ok(readSpooled(first.content).equals(large));
      assert.equal(first.sha256, createHash('sha256').update(large).digest('hex'));
      assert.ok(Buffer.isBuffer(second.content) && second.content.equals(small), 'the small one stays in memory');
      assert.deepEqual(parsed.warnings, [], 'the closing boundary is found at the end of the file');
      releaseBytes(first.content);
    } finally {
      releaseBytes(file);
    }
  });

  it('hashes a spooled mail without a Message-ID like the same bytes in memory', () => {
    const raw = mailWith([randomBytes(10_000)], false);
    const file = spooled(raw);
    try {
      assert.equal(identityOf(null, file), identityOf(null, raw));
    } finally {
      releaseBytes(file);
    }
  });

  it('closes the attachments it spooled when the mail is refused half way', async () => {
    const before = openSpoolFiles();
    const raw = mailWith([randomBytes(200_000), randomBytes(200_000), randomBytes(200_000)]);
    await assert.rejects(parseMail(raw, { fallbackCharset: 'windows-1252', spoolAboveBytes: 50_000, limits: { maxAttachments: 2 } }), TooComplexError);
    assert.equal(openSpoolFiles(), before);
  });
});
