import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTranscriptLogger } from './smtp-transcript';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Feeds lines to the logger exactly as nodemailer's smtp-connection logs them. */
function transcriptOf(lines: Array<['client' | 'server', string]>): string[] {
  const out: string[] = [];
  const logger = createTranscriptLogger((direction, line) => out.push(`${direction === 'client' ? 'C' : 'S'}: ${line}`));
  for (const [tnx, line] of lines) logger.debug({ tnx, component: 'smtp-connection', sid: 'x' }, line);
  return out;
}

describe('SMTP transcript redaction', () => {
  it('redacts the AUTH PLAIN initial response', () => {
    const secret = b64('\u0000alice@example.test\u0000alice-pass');
    const out = transcriptOf([
      ['client', `AUTH PLAIN ${secret}`],
      ['server', '235 Authentication successful'],
    ]);
    assert.deepEqual(out, ['C: AUTH PLAIN [redacted]', 'S: 235 Authentication successful']);
    assert.ok(!out.join('\n').includes(secret));
  });

  it('redacts both AUTH LOGIN continuation lines (user and password) and keeps the challenges', () => {
    const out = transcriptOf([
      ['client', 'AUTH LOGIN'],
      ['server', '334 VXNlcm5hbWU6'],
      ['client', b64('alice@example.test')],
      ['server', '334 UGFzc3dvcmQ6'],
      ['client', b64('alice-pass')],
      ['server', '235 Authentication successful'],
      ['client', 'MAIL FROM:<alice@example.test>'],
    ]);
    assert.deepEqual(out, [
      'C: AUTH LOGIN',
      'S: 334 VXNlcm5hbWU6',
      'C: [redacted]',
      'S: 334 UGFzc3dvcmQ6',
      'C: [redacted]',
      'S: 235 Authentication successful',
      'C: MAIL FROM:<alice@example.test>',
    ]);
  });

  it('redacts XOAUTH2 tokens, including the retry after a 334 error challenge', () => {
    const token = b64('user=alice@example.test\u0001auth=Bearer ya29.secret\u0001\u0001');
    const challenge = b64('{"status":"401","schemes":"bearer","scope":"mail"}');
    const out = transcriptOf([
      ['client', `AUTH XOAUTH2 ${token}`],
      ['server', `334 ${challenge}`],
      ['client', ''],
      ['client', `AUTH XOAUTH2 ${token}`],
      ['server', '535 Error: Username and Password not accepted'],
    ]);
    assert.deepEqual(out, [
      'C: AUTH XOAUTH2 [redacted]',
      `S: 334 ${challenge}`,
      'C: ',
      'C: AUTH XOAUTH2 [redacted]',
      'S: 535 Error: Username and Password not accepted',
    ]);
  });

  it('splits multi-line replies and leaves ordinary commands alone', () => {
    const out = transcriptOf([
      ['client', 'EHLO [127.0.0.1]'],
      ['server', '250-mx.example.test Nice to meet you\n250-AUTH PLAIN LOGIN XOAUTH2\n250 STARTTLS'],
      ['client', 'RCPT TO:<bob@example.test>'],
    ]);
    assert.deepEqual(out, [
      'C: EHLO [127.0.0.1]',
      'S: 250-mx.example.test Nice to meet you',
      'S: 250-AUTH PLAIN LOGIN XOAUTH2',
      'S: 250 STARTTLS',
      'C: RCPT TO:<bob@example.test>',
    ]);
  });

  it('keeps nodemailer notes and the message body out of the transcript, and survives a failing sink', () => {
    const out: string[] = [];
    const logger = createTranscriptLogger((_direction, line) => out.push(line));
    logger.info({ tnx: 'network' }, '%s established to %s:%s', 'Connection', '127.0.0.1', 25);
    logger.debug({ tnx: 'message' }, 'Subject: private');
    assert.deepEqual(out, []);
    const broken = createTranscriptLogger(() => {
      throw new Error('log store down');
    });
    assert.doesNotThrow(() => broken.debug({ tnx: 'client' }, 'QUIT'));
  });
});
