import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureMailbox, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import { newInboundMail, type MailboxPolicy } from '../pipeline/inbound-mail';
import { ParseStep } from './parse.step';

async function parse(raw: Buffer, mailbox: Partial<MailboxPolicy> = {}, step = new ParseStep()) {
  const mail = newInboundMail(raw, fixtureMailbox(mailbox));
  await step.run(mail);
  return mail;
}

describe('ParseStep', () => {
  it('parses the mail and keeps its HTML sanitized next to it', async () => {
    const mail = await parse(readMailFixture('cid-inline-image.eml'));
    assert.equal(mail.quarantine, undefined);
    assert.equal(mail.parsed?.subject, 'Logo');
    assert.equal(
      mail.sanitizedHtml,
      '<p>Our logo: <img alt="Logo" src="cid:logo@helpdesk" /></p><img width="1" height="1" data-remote-src="http://tracker.example/open?id=42" />\n',
    );
  });

  it('leaves sanitizedHtml null for a text-only mail', async () => {
    const mail = await parse(readMailFixture('us-ascii-7bit.eml'));
    assert.equal(mail.sanitizedHtml, null);
  });

  it('decodes text without a charset with the mailbox fallback charset', async () => {
    const mail = await parse(readMailFixture('no-charset-8bit-cyrillic.eml'), { fallbackCharset: 'windows-1251' });
    assert.equal(mail.parsed?.text, 'Прошу вернуть деньги.\n');
  });

  it('quarantines a mail bigger than the mailbox maximum as "too large"', async () => {
    const mail = await parse(readMailFixture('nested-multipart.eml'), { maxMailBytes: 1024 });
    assert.equal(mail.parsed, undefined);
    assert.equal(mail.quarantine?.reason, 'too large');
    assert.match(mail.quarantine?.detail ?? '', /at most 0\.0 MB/);
  });

  it('quarantines bytes without a header section as "unparseable"', async () => {
    const mail = await parse(Buffer.from([0xff, 0xfe, 0, 1, 2, 3]));
    assert.deepEqual(mail.quarantine, { reason: 'unparseable', detail: 'the mail has no header section' });
  });

  it('quarantines HTML that nests too deeply as "too complex"', async () => {
    const html = '<div>'.repeat(600) + 'x';
    const mail = await parse(Buffer.from(`From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`));
    assert.equal(mail.quarantine?.reason, 'too complex');
    assert.equal(mail.parsed, undefined, 'a quarantined mail has no half-parsed result');
  });

  it('applies limits given to the step', async () => {
    const mail = await parse(readMailFixture('rfc2231-filenames.eml'), {}, new ParseStep({ maxAttachments: 2 }));
    assert.deepEqual(mail.quarantine, { reason: 'too complex', detail: 'the mail has more than 2 attachments' });
  });

  it('has the name the pipeline logs it under', () => {
    assert.equal(new ParseStep().name, 'parse');
  });
});
