import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphClientError, GraphError } from '@microsoft/microsoft-graph-client';
import { AuthenticationError, ConnectionError, ProtocolError, ThrottledError, TimeoutError, TlsError } from '../../../core/errors';
import type { HttpsResponse } from '../ews/https-exchange';
import { graphFailureOf, mapGraphError, type GraphErrorContext } from './graph-error.mapper';
import { classifyGraphAnswer, routeName } from './graph-http.middleware';

const ctx = (extra: Partial<GraphErrorContext> = {}): GraphErrorContext => ({
  host: 'graph.microsoft.com',
  port: 443,
  username: 'support@example.com',
  authKind: 'oauth2',
  connectMs: 15_000,
  commandMs: 30_000,
  mailbox: 'support@example.com',
  operation: 'GET messages/delta',
  permission: 'Mail.ReadWrite',
  ...extra,
});

/** A GraphError as the client library builds it from an error answer. */
function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): GraphError {
  const error = new GraphError(status, message);
  error.code = code;
  error.headers = new Headers(headers);
  return error;
}

const networkError = (code: string) => Object.assign(new GraphClientError('fetch failed'), { customError: Object.assign(new Error(code), { code }) });

interface Row {
  name: string;
  error: unknown;
  ctx?: GraphErrorContext;
  type: Function;
  message: RegExp | string;
  retryAfterMs?: number;
}

const rows: Row[] = [
  {
    name: 'an expired or revoked token (401)',
    error: graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', {
      'www-authenticate': 'Bearer realm="", error="invalid_token", error_description="Access token has expired or is not yet valid."',
    }),
    type: AuthenticationError,
    message: 'the server refused the OAuth2 access token for support@example.com: Access token has expired or is not yet valid.; re-authorize the mailbox if this persists',
  },
  {
    name: '403 ErrorAccessDenied when reading: names Mail.ReadWrite',
    error: graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
    type: AuthenticationError,
    message: /^Microsoft Graph denied access to the mailbox support@example.com \(ErrorAccessDenied: Access is denied. Check credentials and try again.\); the OAuth2 grant needs the permission Mail.ReadWrite \(Mail.ReadWrite.Shared for a shared mailbox\)/,
  },
  {
    name: '403 when sending: names Mail.Send',
    error: graphError(403, 'ErrorAccessDenied', 'Access is denied.'),
    ctx: ctx({ operation: 'POST sendMail', permission: 'Mail.Send' }),
    type: AuthenticationError,
    message: /needs the permission Mail.Send \(Mail.Send.Shared for a shared mailbox\).*baseScope "graph".*IMAP\/SMTP or EWS scopes do not work for Graph/,
  },
  { name: '429 with Retry-After', error: graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '2' }), type: ThrottledError, message: /^Microsoft Graph asks us to slow down \(429 TooManyRequests: Too many requests\); retrying after 2 s$/, retryAfterMs: 2000 },
  { name: '503 without Retry-After', error: graphError(503, 'ServiceUnavailable', 'Service unavailable'), type: ThrottledError, message: /retrying after 60 s/, retryAfterMs: 60_000 },
  { name: 'an unknown user', error: graphError(404, 'ErrorInvalidUser', "The requested user 'x' is invalid."), type: ProtocolError, message: /^there is no mailbox support@example.com at graph.microsoft.com:443 .*check the username$/ },
  { name: 'a missing folder', error: graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'), ctx: ctx({ folder: 'Inbox/Support' }), type: ProtocolError, message: 'folder "Inbox/Support" does not exist in support@example.com (ErrorItemNotFound: The specified object was not found in the store.)' },
  { name: 'a bad request', error: graphError(400, 'ErrorInvalidUrlQuery', 'bad query'), type: ProtocolError, message: 'graph.microsoft.com:443 refused GET messages/delta (400 ErrorInvalidUrlQuery: bad query)' },
  { name: 'a 500', error: graphError(500, 'InternalServerError', 'oops'), type: ConnectionError, message: 'graph.microsoft.com:443 failed to answer GET messages/delta (500 InternalServerError: oops)' },
  { name: 'connection refused inside the client', error: networkError('ECONNREFUSED'), type: ConnectionError, message: 'connection refused by graph.microsoft.com:443 — is the port right?' },
  { name: 'an untrusted certificate inside the client', error: networkError('SELF_SIGNED_CERT_IN_CHAIN'), type: TlsError, message: /set caCertificate to trust it/ },
  {
    name: 'a deadline inside the client',
    error: Object.assign(new GraphClientError('x'), { customError: new TimeoutError('no answer from graph.microsoft.com:443 to GET messages/delta within 30 s') }),
    type: TimeoutError,
    message: 'no answer from graph.microsoft.com:443 to GET messages/delta within 30 s',
  },
];

describe('mapGraphError', () => {
  for (const row of rows) {
    it(`maps ${row.name}`, () => {
      const mapped = mapGraphError(row.error, row.ctx ?? ctx());
      assert.ok(mapped instanceof row.type, `${mapped.constructor.name}: ${mapped.message}`);
      if (typeof row.message === 'string') assert.equal(mapped.message, row.message);
      else assert.match(mapped.message, row.message);
      if (row.retryAfterMs !== undefined) assert.equal((mapped as ThrottledError).retryAfterMs, row.retryAfterMs);
    });
  }

  it('reads the error of a failed $value download from its ArrayBuffer body', () => {
    const error = new GraphError(403);
    error.body = new TextEncoder().encode(JSON.stringify({ error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } })).buffer;
    assert.deepEqual(graphFailureOf(error), { status: 403, code: 'ErrorAccessDenied', message: 'Access is denied.', retryAfter: undefined, wwwAuthenticate: undefined });
  });
});

describe('classifyGraphAnswer', () => {
  const answer = (status: number, headers: Record<string, string> = {}): HttpsResponse => ({ status, statusText: '', headers, body: Buffer.alloc(0) });
  it('refreshes on 401, waits on 429/503/504, leaves the rest to the mapper', () => {
    assert.deepEqual(classifyGraphAnswer(answer(401)), { kind: 'unauthorized' });
    assert.deepEqual(classifyGraphAnswer(answer(429, { 'retry-after': '2' })), { kind: 'throttled', retryAfterMs: 2000 });
    assert.deepEqual(classifyGraphAnswer(answer(503)), { kind: 'throttled', retryAfterMs: null });
    assert.deepEqual(classifyGraphAnswer(answer(504)), { kind: 'throttled', retryAfterMs: null });
    assert.deepEqual(classifyGraphAnswer(answer(403)), { kind: 'done' });
    assert.deepEqual(classifyGraphAnswer(answer(200)), { kind: 'done' });
  });
});

describe('routeName', () => {
  it('drops the version, the mailbox and long ids', () => {
    const id = 'AAMkADBhMGE1ZjY3LWI0ZTItNDI2Yy1hMDAxLTI5ZDNjYmZiMzJjMwBGAAAAAAD';
    assert.equal(routeName(new URL(`https://graph.microsoft.com/v1.0/users/a%40b.c/messages/${id}/$value`)), 'messages/…/$value');
    assert.equal(routeName(new URL('https://graph.microsoft.com/v1.0/me/mailFolders/inbox')), 'mailFolders/inbox');
  });
});
