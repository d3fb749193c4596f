import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fixtureMailbox, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import { newInboundMail } from '../pipeline/inbound-mail';
import { IdentifyStep } from './identify.step';
import { ParseStep } from './parse.step';

async function identify(raw: Buffer) {
  const mail = newInboundMail(raw, fixtureMailbox());
  await new ParseStep().run(mail);
  await new IdentifyStep().run(mail);
  return mail;
}

function rawMail(headers: string): Buffer {
  return Buffer.from(`${headers}\r\nSubject: x\r\nMessage-ID: <x@example.org>\r\n\r\nbody\r\n`);
}

describe('IdentifyStep', () => {
  it('identifies a mail by its Message-ID', async () => {
    assert.equal((await identify(readMailFixture('reply-with-token.eml'))).identity, 'printer-2@example.org');
  });

  it('identifies a mail without Message-ID by the SHA-256 of its bytes', async () => {
    const raw = readMailFixture('missing-message-id.eml');
    assert.equal((await identify(raw)).identity, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
  });

  it('identifies a quarantined mail by its hash, so a re-fetch is recognised', async () => {
    const raw = Buffer.from([0xff, 0xfe, 0, 1]);
    const mail = await identify(raw);
    assert.equal(mail.quarantine?.reason, 'unparseable');
    assert.equal(mail.identity, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    assert.equal(mail.requester, undefined);
    assert.equal(new IdentifyStep().runsOnQuarantined, true);
  });

  it('takes the requester from From with the decoded display name', async () => {
    const mail = await identify(readMailFixture('windows-1251-base64.eml'));
    assert.deepEqual(mail.requester, { name: 'Иван Петров', email: 'ivan@example.ru' });
    assert.equal(mail.ownAddress, false);
  });

  it('prefers Reply-To over From', async () => {
    const mail = await identify(rawMail('From: Web Shop <shop@example.net>\r\nReply-To: "Kim Lee" <Kim.Lee@Example.org>'));
    assert.deepEqual(mail.requester, { name: 'Kim Lee', email: 'kim.lee@example.org' });
  });

  it('ignores a Reply-To that names the helpdesk itself', async () => {
    const mail = await identify(rawMail('From: Kim <kim@example.org>\r\nReply-To: support@helpdesk.example.com'));
    assert.deepEqual(mail.requester, { name: 'Kim', email: 'kim@example.org' });
    assert.equal(mail.ownAddress, false);
  });

  it('falls back to the envelope sender when From is missing', async () => {
    const mail = await identify(readMailFixture('missing-from.eml'));
    assert.deepEqual(mail.requester, { name: null, email: 'monitoring@example.net' });
  });

  it('recovers the address of a broken From', async () => {
    assert.deepEqual((await identify(readMailFixture('malformed-from-salvaged.eml'))).requester, { name: null, email: 'jane.roe@example.org' });
  });

  it('has no requester when no header names an address', async () => {
    assert.equal((await identify(readMailFixture('malformed-from-no-address.eml'))).requester, null);
  });

  it("recognises the helpdesk's own address whatever its case", async () => {
    const mail = await identify(readMailFixture('own-address.eml'));
    assert.equal(mail.ownAddress, true);
    assert.deepEqual(mail.requester, { name: 'Example Support', email: 'support@helpdesk.example.com' });
  });

  it('treats mail from the own address with a foreign Reply-To as own-address mail', async () => {
    const mail = await identify(rawMail('From: support@helpdesk.example.com\r\nReply-To: kim@example.org'));
    assert.equal(mail.ownAddress, true);
    assert.equal(mail.requester?.email, 'kim@example.org');
  });
});
