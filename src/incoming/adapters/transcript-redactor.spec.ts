import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, TranscriptRedactor, redactClientLine } from './transcript-redactor';

describe('redactClientLine', () => {
  const cases: Array<[string, string, boolean]> = [
    // [line, expected, inSasl after]
    ['A1 LOGIN user pass', `A1 LOGIN user ${REDACTED}`, false],
    ['A1 LOGIN "support@example.com" "p@ss word"', `A1 LOGIN "support@example.com" ${REDACTED}`, false],
    ['3 LOGIN "alice@example.test" "(* value hidden *)"', `3 LOGIN "alice@example.test" ${REDACTED}`, false],
    ['A1 LOGIN {5}', `A1 LOGIN ${REDACTED}`, false],
    ['A2 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==', `A2 AUTHENTICATE XOAUTH2 ${REDACTED}`, true],
    ['A2 AUTHENTICATE OAUTHBEARER bixhPWFsaWNlLAFob3N0PQ==', `A2 AUTHENTICATE OAUTHBEARER ${REDACTED}`, true],
    ['2 AUTHENTICATE PLAIN "(* value hidden *)"', `2 AUTHENTICATE PLAIN ${REDACTED}`, true],
    ['A3 AUTHENTICATE PLAIN', 'A3 AUTHENTICATE PLAIN', true],
    ['AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==', `AUTH XOAUTH2 ${REDACTED}`, true],
    ['AUTH PLAIN', 'AUTH PLAIN', true],
    ['AUTH', 'AUTH', false],
    ['PASS secret', `PASS ${REDACTED}`, false],
    ['pass secret with spaces', `PASS ${REDACTED}`, false],
    ['APOP mrose c4c9334bac560ecc979e58001b3e22fb', `APOP mrose ${REDACTED}`, false],
    ['USER support@example.com', 'USER support@example.com', false],
    ['A4 UID FETCH 1:5 (UID BODY.PEEK[])', 'A4 UID FETCH 1:5 (UID BODY.PEEK[])', false],
    ['RETR 1', 'RETR 1', false],
  ];
  for (const [line, expected, inSasl] of cases) {
    it(`redacts ${JSON.stringify(line)}`, () => {
      assert.deepEqual(redactClientLine(line, false), { line: expected, inSasl });
    });
  }

  it('redacts continuation lines inside a SASL exchange but keeps the empty cancel line', () => {
    assert.equal(redactClientLine('dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==', true).line, REDACTED);
    assert.equal(redactClientLine('(* value hidden *)', true).line, REDACTED);
    assert.equal(redactClientLine('', true).line, '');
    assert.equal(redactClientLine('*', true).line, '*');
  });
});

describe('TranscriptRedactor', () => {
  function record(): { lines: string[]; redactor: TranscriptRedactor } {
    const lines: string[] = [];
    const redactor = new TranscriptRedactor((direction, line) => lines.push(`${direction === 'client' ? 'C' : 'S'}: ${line}`));
    return { lines, redactor };
  }

  it('redacts an IMAP AUTHENTICATE without SASL-IR and its continuation, then stops redacting', () => {
    const { lines, redactor } = record();
    redactor.client('A1 AUTHENTICATE XOAUTH2');
    redactor.server('+ ');
    redactor.client('dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==');
    redactor.server('+ eyJzdGF0dXMiOiI0MDEifQ==');
    redactor.client('');
    redactor.server('A1 NO [AUTHENTICATIONFAILED] Authentication failed.');
    redactor.client('A2 LOGOUT');
    assert.deepEqual(lines, [
      'C: A1 AUTHENTICATE XOAUTH2',
      'S: + ',
      `C: ${REDACTED}`,
      'S: + eyJzdGF0dXMiOiI0MDEifQ==',
      'C: ',
      'S: A1 NO [AUTHENTICATIONFAILED] Authentication failed.',
      'C: A2 LOGOUT',
    ]);
  });

  it('redacts a POP3 AUTH PLAIN continuation and ends the exchange on +OK', () => {
    const { lines, redactor } = record();
    redactor.client('AUTH PLAIN');
    redactor.server('+ ');
    redactor.client('AGFsaWNlAHNlY3JldA==');
    redactor.server('+OK Logged in.');
    redactor.client('STAT');
    assert.deepEqual(lines, ['C: AUTH PLAIN', 'S: + ', `C: ${REDACTED}`, 'S: +OK Logged in.', 'C: STAT']);
  });

  it('scrubs known secrets from any line', () => {
    const { lines, redactor } = record();
    redactor.addSecret('alice-pass');
    redactor.addSecret('abc'); // too short to scrub from free text
    redactor.client('XSECRET alice-pass abc');
    assert.deepEqual(lines, [`C: XSECRET ${REDACTED} abc`]);
  });

  it('survives a sink that throws', () => {
    const redactor = new TranscriptRedactor(() => {
      throw new Error('log store down');
    });
    assert.doesNotThrow(() => redactor.client('NOOP'));
  });

  it('does nothing without a sink', () => {
    const redactor = new TranscriptRedactor(undefined);
    assert.equal(redactor.enabled, false);
    redactor.client('PASS secret');
  });
});
