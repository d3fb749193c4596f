import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageRejectedError } from '../../../core/errors';
import { assertEnvelopeMatchesHeaders, headerAddresses } from './mime-recipients';

const raw = Buffer.from(
  [
    'From: "Support, Example" <support@example.com>',
    'To: "Doe, Jane (jane@old.example)" <Jane@Example.com>,',
    ' bob@example.org',
    'Cc: <carol@example.net>',
    'Subject: [##12##] Re: printer',
    '',
    'To: nobody@example.com',
    '',
  ].join('\r\n'),
);

describe('headerAddresses', () => {
  it('reads folded To/Cc, ignores quoted display names and the body', () => {
    assert.deepEqual(headerAddresses(raw, ['to', 'cc', 'bcc']), ['jane@example.com', 'bob@example.org', 'carol@example.net']);
  });
});

describe('assertEnvelopeMatchesHeaders', () => {
  it('accepts an envelope whose recipients the headers name (any case)', () => {
    assertEnvelopeMatchesHeaders({ from: 'support@example.com', to: ['jane@example.com', 'Carol@example.net'] }, raw, 'EWS');
  });

  it('refuses, for good, recipients the headers do not name: EWS and Graph would not send to them', () => {
    assert.throws(
      () => assertEnvelopeMatchesHeaders({ from: 'support@example.com', to: ['jane@example.com', 'nobody@example.com'] }, raw, 'Microsoft Graph'),
      (err: unknown) => err instanceof MessageRejectedError && err.message === 'Microsoft Graph sends to the To/Cc/Bcc headers of the message, which do not name nobody@example.com',
    );
  });
});
