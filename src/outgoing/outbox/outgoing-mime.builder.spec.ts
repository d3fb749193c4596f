import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { InvalidInputError } from '../../core/errors';
import type { OutgoingMail } from '../outbox.port';
import { buildOutgoingMime, formatMailbox, newMessageId } from './outgoing-mime.builder';

const sender = { senderName: 'Example Support', senderAddress: 'support@example.com', replyTo: 'replies@example.com' };

const reply: OutgoingMail = {
  mailboxId: '00000000-0000-4000-8000-000000000001',
  requestId: '00000000-0000-4000-8000-000000000002',
  kind: 'acknowledgement',
  to: [{ name: 'Jöhn Requester', email: 'john@customer.test' }],
  cc: [{ email: 'boss@customer.test' }, { email: 'JOHN@customer.test' }],
  subject: '[##42##] Drucker druckt nicht — Grüße',
  text: 'Wir haben Ihre Anfrage erhalten.',
  html: '<p>Wir haben Ihre Anfrage <b>erhalten</b>.</p>',
  inReplyTo: '<original.1@customer.test>',
  references: ['root.0@customer.test', 'original.1@customer.test'],
  autoReply: true,
  attachments: [{ filename: 'Übersicht résumé.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 test') }],
};

/** The unfolded head of a raw message, as a receiver reads it. */
function head(raw: Buffer): string {
  const text = raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
}

function header(raw: Buffer, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head(raw))?.[1];
}

describe('buildOutgoingMime', () => {
  it('writes From as "<senderName>" <senderAddress> and Reply-To', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    assert.equal(header(raw, 'From'), '"Example Support" <support@example.com>');
    assert.equal(header(raw, 'Reply-To'), 'replies@example.com');
  });

  it('leaves Reply-To out when none is configured', async () => {
    const { raw } = await buildOutgoingMime(reply, { ...sender, replyTo: null });
    assert.equal(header(raw, 'Reply-To'), undefined);
  });

  it('encodes a non-ASCII sender name as an RFC 2047 word that decodes back', async () => {
    const { raw } = await buildOutgoingMime(reply, { ...sender, senderName: 'Support Müller & Söhne' });
    assert.match(header(raw, 'From')!, /^=\?UTF-8\?Q\?.+\?= <support@example\.com>$/);
    const parsed = await simpleParser(raw);
    assert.deepEqual(parsed.from?.value, [{ name: 'Support Müller & Söhne', address: 'support@example.com' }]);
  });

  it('gives the mail a Message-ID on the mailbox domain and returns it without brackets', async () => {
    const { raw, messageId } = await buildOutgoingMime(reply, sender);
    assert.match(messageId, /^[a-z0-9]+\.[0-9a-f]{18}@example\.com$/);
    assert.equal(header(raw, 'Message-ID'), `<${messageId}>`);
  });

  it('threads with In-Reply-To and References (RFC 5322 §3.6.4), brackets or not', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    assert.equal(header(raw, 'In-Reply-To'), '<original.1@customer.test>');
    assert.equal(header(raw, 'References'), '<root.0@customer.test> <original.1@customer.test>');
  });

  it('ends References with the parent when the caller only gave In-Reply-To', async () => {
    const { raw } = await buildOutgoingMime({ ...reply, references: undefined }, sender);
    assert.equal(header(raw, 'References'), '<original.1@customer.test>');
  });

  it('marks acknowledgements as automatic replies (RFC 3834 §5) and suppresses auto-responses', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    assert.equal(header(raw, 'Auto-Submitted'), 'auto-replied');
    assert.equal(header(raw, 'X-Auto-Response-Suppress'), 'All');
    const manual = await buildOutgoingMime({ ...reply, kind: 'reply', autoReply: false }, sender);
    assert.equal(header(manual.raw, 'Auto-Submitted'), undefined);
    assert.equal(header(manual.raw, 'X-Auto-Response-Suppress'), undefined);
  });

  it('encodes a non-ASCII subject (RFC 2047) that decodes to the token and text', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    assert.match(header(raw, 'Subject')!, /=\?UTF-8\?/);
    assert.equal((await simpleParser(raw)).subject, '[##42##] Drucker druckt nicht — Grüße');
  });

  it('carries text and HTML as alternatives and the attachment with its encoded name (RFC 2231)', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    const parsed = await simpleParser(raw);
    assert.equal(parsed.text?.trim(), 'Wir haben Ihre Anfrage erhalten.');
    assert.equal(parsed.html, '<p>Wir haben Ihre Anfrage <b>erhalten</b>.</p>');
    assert.equal(parsed.attachments.length, 1);
    assert.equal(parsed.attachments[0].filename, 'Übersicht résumé.pdf');
    assert.equal(parsed.attachments[0].content.toString(), '%PDF-1.4 test');
    assert.match(raw.toString('latin1'), /filename\*0?\*=utf-8''/i);
  });

  it('is 7-bit with CRLF line ends, so no server needs 8BITMIME', async () => {
    const { raw } = await buildOutgoingMime(reply, sender);
    assert.ok(raw.every((byte) => byte < 0x80));
    assert.ok(!/[^\r]\n/.test(raw.toString('latin1')), 'every line ends with CRLF');
  });

  it('addresses the envelope to every To and Cc once (RFC 5321 RCPT TO), from the sender address', async () => {
    const { envelope } = await buildOutgoingMime(reply, sender);
    assert.deepEqual(envelope, { from: 'support@example.com', to: ['john@customer.test', 'boss@customer.test'] });
  });

  it('refuses a mail without sender address or recipients', async () => {
    await assert.rejects(buildOutgoingMime(reply, { ...sender, senderAddress: null }), InvalidInputError);
    await assert.rejects(buildOutgoingMime({ ...reply, to: [] }, sender), InvalidInputError);
  });
});

describe('formatMailbox and newMessageId', () => {
  it('quotes and escapes ASCII names, and drops an empty one', () => {
    assert.equal(formatMailbox('ACME "Help" Desk', 'a@b.c'), '"ACME \\"Help\\" Desk" <a@b.c>');
    assert.equal(formatMailbox('  ', 'a@b.c'), 'a@b.c');
    assert.equal(formatMailbox('Line\r\nBreak', 'a@b.c'), '"Line Break" <a@b.c>');
  });

  it('puts an internationalized domain into its ASCII form', () => {
    assert.match(newMessageId('hilfe@bücher.example'), /@xn--bcher-kva\.example$/);
  });
});
