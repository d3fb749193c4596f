import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureMailbox } from '../../../test/fixtures/mail/mail-fixtures';
import { prepareFields } from './prepared-fields';

const HTML_MAIL = Buffer.from(
  [
    'From: Requester <requester@example.test>',
    'To: support@example.test',
    'Subject: html',
    'Message-ID: <prepared-html@example.test>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p onclick="steal()">Printer <b>down</b></p><script>alert(1)</script>',
    '',
  ].join('\r\n'),
);

describe('prepareFields', () => {
  it('hands on the sanitized HTML, not the HTML as sent (the main thread stores and shows only the safe one)', async () => {
    const fields = await prepareFields(HTML_MAIL, fixtureMailbox({ acknowledge: false }), new Date());
    assert.equal(fields.sanitizedHtml?.trim(), '<p>Printer <b>down</b></p>');
    assert.equal(fields.parsed?.html, null);
    assert.match(fields.parsed?.text ?? '', /Printer DOWN|Printer down/i);
  });
});
