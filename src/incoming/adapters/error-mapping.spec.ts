import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthenticationError,
  ConnectionError,
  ProtocolError,
  ThrottledError,
  TimeoutError,
  TlsError,
} from '../../core/errors';
import { type ServerContext, certificateNames, mapNetworkError } from './error-mapping';
import { mapImapError } from './imap/imap-error.mapper';
import { mapPop3Error } from './pop3/pop3-error.mapper';
import { Pop3ClosedError, Pop3ResponseError } from './pop3/pop3.client';

const ctx: ServerContext = {
  host: 'mail.example.com',
  port: 993,
  username: 'support@example.com',
  authKind: 'password',
  connectMs: 15_000,
  commandMs: 30_000,
};
const oauthCtx: ServerContext = { ...ctx, authKind: 'oauth2' };

function nodeError(code: string, message = code, extra: object = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

type Row = [name: string, err: unknown, type: Function, message: string | RegExp];

function check(rows: Row[], map: (err: unknown) => unknown): void {
  for (const [name, err, type, message] of rows) {
    it(name, () => {
      const mapped = map(err) as Error;
      assert.ok(mapped instanceof type, `${name}: got ${mapped?.constructor?.name}: ${mapped?.message}`);
      if (typeof message === 'string') assert.equal(mapped.message, message);
      else assert.match(mapped.message, message);
      if (mapped !== err) assert.equal((mapped as Error & { cause?: unknown }).cause, err);
    });
  }
}

describe('mapNetworkError', () => {
  check(
    [
      ['connection refused', nodeError('ECONNREFUSED'), ConnectionError, 'connection refused by mail.example.com:993 — is the port right?'],
      ['unknown host', nodeError('ENOTFOUND'), ConnectionError, 'host mail.example.com not found'],
      ['DNS hiccup', nodeError('EAI_AGAIN'), ConnectionError, /temporary DNS failure/],
      ['reset', nodeError('ECONNRESET'), ConnectionError, 'mail.example.com:993 closed the connection unexpectedly'],
      ['unreachable', nodeError('EHOSTUNREACH'), ConnectionError, /unreachable/],
      ['OS connect timeout', nodeError('ETIMEDOUT'), TimeoutError, 'no connection to mail.example.com:993 within 15 s'],
      ['self-signed', nodeError('DEPTH_ZERO_SELF_SIGNED_CERT'), TlsError, 'certificate not trusted: self-signed certificate; set caCertificate to trust it'],
      ['self-signed in chain', nodeError('SELF_SIGNED_CERT_IN_CHAIN'), TlsError, /self-signed certificate; set caCertificate/],
      ['unknown CA', nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), TlsError, /unknown certificate authority; set caCertificate/],
      ['unknown CA (local issuer)', nodeError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), TlsError, /unknown certificate authority/],
      ['expired', nodeError('CERT_HAS_EXPIRED'), TlsError, 'certificate not trusted: the certificate of mail.example.com has expired'],
      [
        'host name mismatch',
        nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", {
          cert: { subjectaltname: 'DNS:localhost, IP Address:127.0.0.1' },
        }),
        TlsError,
        'certificate is for localhost, 127.0.0.1, not mail.example.com',
      ],
      ['plain port', nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), TlsError, /does not speak TLS — is it a plain/],
      ['other TLS failure', nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'handshake failure'), TlsError, /TLS handshake with mail.example.com:993 failed/],
    ],
    (err) => mapNetworkError(err, ctx),
  );

  it('leaves errors it does not know to the adapter', () => {
    assert.equal(mapNetworkError(new Error('something else'), ctx), null);
  });

  it('passes MailErrors through unchanged', () => {
    const timeout = new TimeoutError('no answer from x:1 within 1 s');
    assert.equal(mapNetworkError(timeout, ctx), timeout);
  });

  it('names the certificate by its CN when it has no SAN', () => {
    assert.equal(certificateNames({ subject: { CN: 'mail.internal' } }), 'mail.internal');
  });
});

describe('mapImapError', () => {
  const refused = (extra: object) => Object.assign(new Error('Command failed'), { authenticationFailed: true, ...extra });
  check(
    [
      ['wrong password', refused({ response: '[AUTHENTICATIONFAILED] Authentication failed.' }), AuthenticationError,
        'the server refused the password for support@example.com: [AUTHENTICATIONFAILED] Authentication failed.'],
      ['temporary auth failure', refused({ serverResponseCode: 'UNAVAILABLE', response: '[UNAVAILABLE] Temporary authentication failure.' }),
        ConnectionError, /could not check the credentials right now/],
      ['connect timeout', nodeError('CONNECT_TIMEOUT'), TimeoutError, 'no answer from mail.example.com:993 within 15 s'],
      ['greeting timeout', nodeError('GREETING_TIMEOUT'), TimeoutError, 'no answer from mail.example.com:993 within 15 s'],
      ['socket inactivity', nodeError('ETIMEOUT'), TimeoutError, 'no answer from mail.example.com:993 within 30 s'],
      ['throttled', nodeError('ETHROTTLE', 'throttled', { throttleReset: 5000, responseText: 'Request is throttled' }), ThrottledError, /slow down/],
      ['STARTTLS missing', nodeError('', 'Server does not support STARTTLS', { tlsFailed: true }), TlsError,
        /does not offer STARTTLS, and deskmail never sends credentials unencrypted; use imaps/],
      ['connection gone', nodeError('NoConnection', 'Connection not available', { reason: 'Server closed connection' }), ConnectionError,
        'mail.example.com:993 closed the connection'],
      ['BYE with reason', nodeError('NoConnection', 'Connection not available', { reason: 'Too many connections' }), ConnectionError,
        'mail.example.com:993 closed the connection: Too many connections'],
      ['missing folder', nodeError('', 'Command failed', { mailboxMissing: true, responseStatus: 'NO' }), ProtocolError,
        'folder "Support" does not exist on mail.example.com:993'],
      ['NO to a command', nodeError('', 'Command failed', { responseStatus: 'NO', responseText: '[CANNOT] Permission denied' }), ProtocolError,
        'mail.example.com:993 answered UID STORE with NO: [CANNOT] Permission denied'],
      ['garbage from server', nodeError('ParserError5', 'Unexpected char'), ProtocolError, /cannot read \(ParserError5\)/],
      ['refused connection', nodeError('ECONNREFUSED'), ConnectionError, /is the port right\?/],
      ['anything else', new Error('boom'), ConnectionError, 'talking to mail.example.com:993 failed: boom'],
    ],
    (err) => mapImapError(err, ctx, { folder: 'Support', command: 'UID STORE' }),
  );

  it('names the token when the server refuses an OAuth2 login', () => {
    const err = refused({ response: 'Authentication failed', oauthError: { status: '401', schemes: 'bearer' } });
    const mapped = mapImapError(err, oauthCtx);
    assert.ok(mapped instanceof AuthenticationError);
    assert.match(mapped.message, /^the server refused the OAuth2 access token for support@example.com: .*status 401/);
    assert.match(mapped.message, /re-authorize/);
  });
});

describe('mapPop3Error', () => {
  check(
    [
      ['wrong password', new Pop3ResponseError('PASS', '-ERR [AUTH] Authentication failed.'), AuthenticationError,
        'the server refused the password for support@example.com: [AUTH] Authentication failed.'],
      ['temporary failure', new Pop3ResponseError('PASS', '-ERR [SYS/TEMP] Temporary authentication failure.'), ConnectionError,
        /could not check the credentials right now/],
      ['maildrop locked', new Pop3ResponseError('PASS', '-ERR [IN-USE] Mailbox locked'), ConnectionError, /in use by another POP3 session/],
      ['unexpected answer', new Pop3ResponseError('RETR', '-ERR no such message'), ProtocolError,
        'mail.example.com:993 answered RETR unexpectedly: -ERR no such message'],
      ['closed', new Pop3ClosedError('closed'), ConnectionError, 'mail.example.com:993 closed the connection'],
      ['refused connection', nodeError('ECONNREFUSED'), ConnectionError, /is the port right\?/],
    ],
    (err) => mapPop3Error(err, ctx),
  );

  it('names the token when the server refuses an OAuth2 login', () => {
    const mapped = mapPop3Error(new Pop3ResponseError('AUTH', '-ERR [AUTH] Authentication failed. ({"status":"invalid_token"})'), oauthCtx);
    assert.ok(mapped instanceof AuthenticationError);
    assert.match(mapped.message, /^the server refused the OAuth2 access token for support@example.com/);
  });
});
