import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  ConnectionError,
  InvalidGrantError,
  MessageRejectedError,
  ProtocolError,
  TemporaryRejectionError,
  TimeoutError,
  TlsError,
} from '../../../core/errors';
import { classifyDeliveryError, isConnectionFailure, isRefusedLogin, type DeliveryContext } from './delivery-error.classifier';

const context: DeliveryContext = {
  host: 'smtp.example.com',
  port: 587,
  auth: 'password',
  username: 'support@example.com',
  connectMs: 15_000,
  commandMs: 30_000,
};

/** Shaped the way nodemailer 10's smtp-connection `_formatError` shapes them (captured against smtp-server 3.21). */
function nodemailerError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

type ErrorClass = abstract new (...args: never[]) => Error;

const cases: Array<{ name: string; error: unknown; auth?: DeliveryContext['auth']; expect: ErrorClass; message: RegExp; retryable: boolean; unreachable: boolean }> = [
  {
    name: '550 on RCPT TO is a permanent rejection carrying the reply',
    error: nodemailerError("Can't send mail - all recipients were rejected: 550 no such user", {
      code: 'EENVELOPE', responseCode: 550, response: '550 no such user', command: 'RCPT TO', permanent: true,
    }),
    expect: MessageRejectedError, message: /rejected the message at RCPT TO: 550 no such user/, retryable: false, unreachable: false,
  },
  {
    name: '554 after DATA is a permanent rejection',
    error: nodemailerError('Message failed: 554 content rejected', {
      code: 'EMESSAGE', responseCode: 554, response: '554 content rejected', command: 'DATA', permanent: true,
    }),
    expect: MessageRejectedError, message: /554 content rejected/, retryable: false, unreachable: false,
  },
  {
    name: '451 on RCPT TO is a temporary rejection',
    error: nodemailerError("Can't send mail - all recipients were rejected: 451 try later", {
      code: 'EENVELOPE', responseCode: 451, response: '451 try later', command: 'RCPT TO', permanent: false,
    }),
    expect: TemporaryRejectionError, message: /deferred the message at RCPT TO: 451 try later/, retryable: true, unreachable: false,
  },
  {
    name: '421 greeting (service closing) is temporary, not a connection failure',
    error: nodemailerError('Invalid greeting. response=421 busy: 421 busy', {
      code: 'EPROTOCOL', responseCode: 421, response: '421 busy', command: 'CONN', permanent: false,
    }),
    expect: TemporaryRejectionError, message: /deferred the message: 421 busy/, retryable: true, unreachable: false,
  },
  {
    name: '503 bad sequence is retried, not a verdict on the message',
    error: nodemailerError('Mail command failed: 503 Error: nested MAIL command', {
      code: 'EENVELOPE', responseCode: 503, response: '503 Error: nested MAIL command', command: 'MAIL FROM', permanent: false,
    }),
    expect: TemporaryRejectionError, message: /503/, retryable: true, unreachable: false,
  },
  {
    name: '535 to AUTH PLAIN names the refused password and the user',
    error: nodemailerError('Invalid login: 535 Invalid username or password', {
      code: 'EAUTH', responseCode: 535, response: '535 Invalid username or password', command: 'AUTH PLAIN', permanent: true,
    }),
    expect: AuthenticationError, message: /^the server refused the password for support@example\.com \(535 Invalid username or password\)$/,
    retryable: false, unreachable: false,
  },
  {
    name: '535 to AUTH XOAUTH2 names the refused OAuth2 token',
    auth: 'oauth2',
    error: nodemailerError('Invalid login: 535 Error: Username and Password not accepted', {
      code: 'EAUTH', responseCode: 535, response: '535 Error: Username and Password not accepted', command: 'AUTH XOAUTH2',
    }),
    expect: AuthenticationError, message: /^the server refused the OAuth2 token for support@example\.com/, retryable: false, unreachable: false,
  },
  {
    name: '454 temporary authentication failure (RFC 4954) is retried',
    error: nodemailerError('Invalid login: 454 4.7.0 Temporary authentication failure', {
      code: 'EAUTH', responseCode: 454, response: '454 4.7.0 Temporary authentication failure', command: 'AUTH LOGIN',
    }),
    expect: TemporaryRejectionError, message: /could not check the login/, retryable: true, unreachable: false,
  },
  {
    name: 'connection refused names HOST:PORT',
    error: nodemailerError('connect ECONNREFUSED 10.0.0.5:587', {
      code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN', errno: -111, syscall: 'connect',
    }),
    expect: ConnectionError, message: /smtp\.example\.com:587: connection refused/, retryable: true, unreachable: true,
  },
  {
    name: 'unknown host name is a connection failure',
    error: nodemailerError('getaddrinfo ENOTFOUND smtp.example.com', {
      code: 'EDNS', originalCode: 'ENOTFOUND', command: 'CONN', errno: -3008, syscall: 'getaddrinfo',
    }),
    expect: ConnectionError, message: /smtp\.example\.com:587: host name not found/, retryable: true, unreachable: true,
  },
  {
    name: 'a server closing before the greeting is a connection failure',
    error: nodemailerError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }),
    expect: ConnectionError, message: /Connection closed unexpectedly/, retryable: true, unreachable: true,
  },
  {
    name: 'no greeting within the connect deadline is a timeout',
    error: nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'GREETING_TIMEOUT' }),
    expect: TimeoutError, message: /^no answer from smtp\.example\.com:587 within 15 s$/, retryable: true, unreachable: true,
  },
  {
    name: 'TCP connect timeout is a timeout',
    error: nodemailerError('Connection timeout', { code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECT_TIMEOUT' }),
    expect: TimeoutError, message: /within 15 s/, retryable: true, unreachable: true,
  },
  {
    name: 'an idle socket mid-session cites the command deadline',
    error: nodemailerError('Timeout', { code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' }),
    expect: TimeoutError, message: /within 30 s/, retryable: true, unreachable: true,
  },
  {
    name: 'a self-signed certificate (smtps or after STARTTLS) asks for caCertificate',
    error: nodemailerError('self-signed certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' }),
    expect: TlsError,
    message: /^smtp\.example\.com:587: certificate not trusted: self-signed certificate; set caCertificate to trust it$/,
    retryable: false, unreachable: false,
  },
  {
    name: 'a private CA without caCertificate is untrusted too',
    error: nodemailerError('unable to get local issuer certificate', {
      code: 'ESOCKET', originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', command: 'CONN',
    }),
    expect: TlsError, message: /certificate not trusted: unable to get local issuer certificate; set caCertificate/, retryable: false, unreachable: false,
  },
  {
    name: 'a certificate for another name is refused even with caCertificate',
    error: nodemailerError("Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:localhost", {
      code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN',
    }),
    expect: TlsError, message: /certificate does not match the host name: Hostname\/IP does not match/, retryable: false, unreachable: false,
  },
  {
    name: 'an expired certificate is a TLS error',
    error: nodemailerError('certificate has expired', { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', command: 'CONN' }),
    expect: TlsError, message: /certificate has expired/, retryable: false, unreachable: false,
  },
  {
    name: 'implicit TLS against a plain port suggests STARTTLS',
    error: nodemailerError('C0:...:SSL routines:ssl3_get_record:wrong version number', {
      code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN',
    }),
    expect: TlsError, message: /use protocol smtp/, retryable: false, unreachable: false,
  },
  {
    name: 'a server without STARTTLS when it is required (RFC 3207) is a TLS error, not a rejected mail',
    error: nodemailerError('Error upgrading connection with STARTTLS: 500 Error: command not recognized', {
      code: 'ETLS', responseCode: 500, response: '500 Error: command not recognized', command: 'STARTTLS', permanent: true,
    }),
    expect: TlsError, message: /STARTTLS with smtp\.example\.com:587 failed .*500 Error: command not recognized/, retryable: false, unreachable: false,
  },
  {
    name: 'a local refusal before sending (too big for SIZE) is permanent',
    error: nodemailerError('Message size larger than allowed 1000', { code: 'EMESSAGE', command: 'MAIL FROM' }),
    expect: MessageRejectedError, message: /cannot take this message: Message size larger than allowed 1000/, retryable: false, unreachable: false,
  },
  {
    name: 'an unexpected reply without a code is a protocol error',
    error: nodemailerError('Server response exceeds maximum allowed size', { code: 'EPROTOCOL', command: 'CONN' }),
    expect: ProtocolError, message: /unexpected SMTP failure/, retryable: false, unreachable: false,
  },
];

describe('classifyDeliveryError', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const error = classifyDeliveryError(testCase.error, { ...context, auth: testCase.auth ?? context.auth });
      assert.ok(error instanceof testCase.expect, `${error.name}: ${error.message}`);
      assert.match(error.message, testCase.message);
      assert.equal(error.retryable, testCase.retryable);
      assert.equal(error.cause, testCase.error);
      assert.equal(isConnectionFailure(testCase.error), testCase.unreachable);
    });
  }

  it('keeps the server reply on rejections so the outbox can show it', () => {
    const error = classifyDeliveryError(cases[0].error, context);
    assert.ok(error instanceof MessageRejectedError);
    assert.equal(error.response, '550 no such user');
  });

  it('passes errors of the family through unchanged (e.g. from the token source)', () => {
    const grant = new InvalidGrantError('re-authorize the mailbox');
    assert.equal(classifyDeliveryError(grant, context), grant);
    assert.equal(isConnectionFailure(grant), false);
  });

  it('formats sub-second test deadlines', () => {
    const error = classifyDeliveryError(cases[11].error, { ...context, connectMs: 500 });
    assert.match(error.message, /within 0\.5 s$/);
  });
});

describe('isRefusedLogin', () => {
  it('is true for a 5xx reply to AUTH, false for a token source failure without a reply', () => {
    assert.equal(isRefusedLogin(cases[6].error), true);
    assert.equal(isRefusedLogin(nodemailerError('no access token available', { code: 'EAUTH', command: 'AUTH XOAUTH2' })), false);
    assert.equal(isRefusedLogin(cases[7].error), false);
  });
});
