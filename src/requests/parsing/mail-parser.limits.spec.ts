import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateLargeMail, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import { TooComplexError, TooLargeError, UnparseableMailError } from './mail-errors';
import { identityOf } from './mail-identity';
import { parseMail } from './mail-parser';

const options = { fallbackCharset: 'windows-1252' };
const MB = 1024 * 1024;

function multipartMail(parts: string[]): Buffer {
  const body = parts.map((part) => `--b\r\n${part}\r\n`).join('') + '--b--\r\n';
  return Buffer.from(`From: a@example.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${body}`);
}

function attachments(count: number, bytes = 100): string[] {
  const content = Buffer.alloc(bytes, 1).toString('base64');
  return Array.from(
    { length: count },
    (_, i) => `Content-Type: application/pdf; name="f${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${content}`,
  );
}

describe('parseMail limits', () => {
  it('sends a 30 MB mail to quarantine as "too large" without parsing it', async () => {
    const raw = generateLargeMail(30 * MB);
    const started = Date.now();
    await assert.rejects(parseMail(raw, options), (error: unknown) => {
      assert.ok(error instanceof TooLargeError);
      assert.equal(error.reason, 'too large');
      assert.match(error.detail, /30\.\d MB; this mailbox accepts at most 25\.0 MB/);
      return true;
    });
    assert.ok(Date.now() - started < 100, 'rejected before any parsing');
  });

  it('parses a 24 MB mail under the default 25 MB limit', async () => {
    const mail = await parseMail(generateLargeMail(24 * MB), options);
    assert.equal(mail.attachments.length, 1);
    assert.ok(mail.attachments[0].size > 17 * MB);
  });

  it('honours a smaller maxMailBytes of the mailbox', async () => {
    await assert.rejects(parseMail(readMailFixture('nested-multipart.eml'), { ...options, limits: { maxMailBytes: 1000 } }), TooLargeError);
  });

  it('parses 70 attachments of 100 kB each in bounded time', async () => {
    const started = Date.now();
    const mail = await parseMail(multipartMail(attachments(70, 100_000)), options);
    assert.equal(mail.attachments.length, 70);
    assert.ok(Date.now() - started < 5_000);
  });

  it('refuses more attachments than maxAttachments as "too complex"', async () => {
    await assert.rejects(parseMail(multipartMail(attachments(11)), { ...options, limits: { maxAttachments: 10 } }), TooComplexError);
  });

  it('refuses more MIME parts than maxParts as "too complex"', async () => {
    await assert.rejects(parseMail(multipartMail(attachments(300)), options), (error: unknown) => {
      assert.ok(error instanceof TooComplexError);
      assert.match(error.detail, /more than 250 MIME parts/);
      return true;
    });
  });

  it('refuses attachments nested deeper than maxPartDepth', async () => {
    let part = 'Content-Type: application/pdf; name="deep.pdf"\r\n\r\nx';
    for (let level = 0; level < 40; level++) {
      part = `Content-Type: multipart/mixed; boundary="n${level}"\r\n\r\n--n${level}\r\n${part}\r\n--n${level}--`;
    }
    await assert.rejects(parseMail(multipartMail([part]), options), TooComplexError);
  });

  it('refuses a header section bigger than maxHeaderBytes', async () => {
    const raw = Buffer.from(`From: a@example.org\r\nX-Padding: ${'x'.repeat(300 * 1024)}\r\n\r\nbody`);
    await assert.rejects(parseMail(raw, options), TooComplexError);
  });

  it('refuses HTML longer than maxHtmlChars', async () => {
    const raw = Buffer.from(`From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${'x'.repeat(2000)}</p>`);
    await assert.rejects(parseMail(raw, { ...options, limits: { maxHtmlChars: 1000 } }), TooComplexError);
  });

  it('gives up on a mail that takes longer than the parse deadline', async () => {
    await assert.rejects(parseMail(generateLargeMail(10 * MB), { ...options, limits: { parseDeadlineMs: 1 } }), (error: unknown) => {
      assert.ok(error instanceof TooComplexError);
      assert.match(error.detail, /longer than/);
      return true;
    });
  });

  it('calls an empty mail unparseable', async () => {
    await assert.rejects(parseMail(Buffer.alloc(0), options), UnparseableMailError);
  });

  it('calls bytes without any header unparseable', async () => {
    await assert.rejects(parseMail(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]), options), (error: unknown) => {
      assert.ok(error instanceof UnparseableMailError);
      assert.equal(error.reason, 'unparseable');
      return true;
    });
  });
});

describe('identityOf', () => {
  it('is the Message-ID when the mail has one', async () => {
    const raw = readMailFixture('us-ascii-7bit.eml');
    assert.equal(identityOf(await parseMail(raw, options), raw), 'ascii@example.org');
  });

  it('is the SHA-256 of the raw bytes when the mail has no Message-ID', async () => {
    const raw = readMailFixture('missing-message-id.eml');
    const expected = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    assert.equal(identityOf(await parseMail(raw, options), raw), expected);
    assert.equal(identityOf(null, raw), expected, 'also for a mail that could not be parsed');
  });

  it('is the same for two different mails that share a Message-ID (the second is a duplicate)', async () => {
    const first = readMailFixture('duplicate-message-id-first.eml');
    const second = readMailFixture('duplicate-message-id-second.eml');
    assert.equal(identityOf(await parseMail(first, options), first), identityOf(await parseMail(second, options), second));
  });
});
