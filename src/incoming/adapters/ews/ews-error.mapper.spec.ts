import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthenticationError, ConnectionError, ProtocolError, ThrottledError, TimeoutError, TlsError } from '../../../core/errors';
import { EwsResponseError, ewsCodeOf, mapEwsError, refusalReason, type EwsErrorContext } from './ews-error.mapper';
import { parseSoapFault } from './ews-fault';
import { EwsHttpFailure } from './ews-http';
import type { HttpsResponse } from './https-exchange';

const ctx = (authKind: 'password' | 'oauth2' = 'oauth2'): EwsErrorContext => ({
  host: 'mail.example.com',
  port: 443,
  username: 'agent@example.com',
  authKind,
  connectMs: 15_000,
  commandMs: 30_000,
  url: 'https://mail.example.com/EWS/Exchange.asmx',
  mailbox: 'support@example.com',
  folder: 'Inbox/Support',
  operation: 'FindItem',
});

function http(status: number, statusText: string, headers: Record<string, string> = {}, body = ''): EwsHttpFailure {
  const response: HttpsResponse = { status, statusText, headers, body: Buffer.from(body) };
  return new EwsHttpFailure(response, parseSoapFault(body));
}

const busyFault = (backOff: string) =>
  `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode><faultstring>The server cannot service this request right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>${backOff}</detail></s:Fault></s:Body></s:Envelope>`;

interface Row {
  name: string;
  error: unknown;
  ctx?: EwsErrorContext;
  type: Function;
  message: RegExp | string;
  retryAfterMs?: number;
}

const rows: Row[] = [
  {
    name: 'a refused password',
    error: http(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="mail.example.com"' }),
    ctx: ctx('password'),
    type: AuthenticationError,
    message: 'the server refused the password for agent@example.com: 401 Unauthorized',
  },
  {
    name: 'a refused token, with Exchange Online’s x-ms-diagnostics reason',
    error: http(401, 'Unauthorized', { 'x-ms-diagnostics': '2000008;reason="The token contains not enough scope to make this call.";error_category="invalid_grant"' }),
    type: AuthenticationError,
    message: /^the server refused the OAuth2 access token for agent@example.com: The token contains not enough scope to make this call.; re-authorize/,
  },
  {
    name: 'ErrorAccessDenied, naming EWS.AccessAsUser.All for OAuth2',
    error: new EwsResponseError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
    type: AuthenticationError,
    message: /^access to the mailbox support@example.com was denied \(ErrorAccessDenied: Access is denied.*\); the account agent@example.com needs full access to the mailbox support@example.com, and the OAuth2 grant needs the permission EWS.AccessAsUser.All/,
  },
  {
    name: 'ErrorAccessDenied with a password: only mailbox rights',
    error: new EwsResponseError('ErrorAccessDenied', 'Access is denied.'),
    ctx: ctx('password'),
    type: AuthenticationError,
    message: /needs full access to the mailbox support@example.com$/,
  },
  { name: 'HTTP 403', error: http(403, 'Forbidden'), type: AuthenticationError, message: /^mail.example.com:443 refused access to EWS \(403 Forbidden\); .*EWS.AccessAsUser.All/ },
  {
    name: 'the ErrorServerBusy fault with BackOffMilliseconds',
    error: http(500, 'Internal Server Error', {}, busyFault('<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml>')),
    type: ThrottledError,
    message: 'mail.example.com:443 is throttling this mailbox (ErrorServerBusy); retrying after 298 s',
    retryAfterMs: 297_749,
  },
  { name: 'ErrorServerBusy without a wait', error: http(500, 'Internal Server Error', {}, busyFault('')), type: ThrottledError, message: /retrying after 60 s/, retryAfterMs: 60_000 },
  { name: 'a 503 with Retry-After', error: http(503, 'Service Unavailable', { 'retry-after': '2' }), type: ThrottledError, message: /slow down \(503 Service Unavailable\); retrying after 2 s/, retryAfterMs: 2000 },
  { name: 'a 429 without Retry-After', error: http(429, 'Too Many Requests'), type: ThrottledError, message: /retrying after 60 s/, retryAfterMs: 60_000 },
  { name: 'a wrong connectUrl (404)', error: http(404, 'Not Found'), type: ProtocolError, message: 'there is no EWS endpoint at https://mail.example.com/EWS/Exchange.asmx (404 Not Found); connectUrl usually ends in /EWS/Exchange.asmx' },
  { name: 'a redirect', error: http(302, 'Found', { location: 'https://other.example.com/EWS/Exchange.asmx' }), type: ProtocolError, message: /redirects to https:\/\/other.example.com\/EWS\/Exchange.asmx \(302 Found\); set connectUrl/ },
  { name: 'a 502 from a proxy', error: http(502, 'Bad Gateway', {}, '<html>bad gateway</html>'), type: ConnectionError, message: 'mail.example.com:443 failed to answer FindItem (502 Bad Gateway)' },
  { name: 'an unknown mailbox', error: new EwsResponseError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.'), type: ProtocolError, message: /^there is no mailbox support@example.com on mail.example.com:443/ },
  { name: 'a missing folder', error: new EwsResponseError('ErrorFolderNotFound', 'The specified folder could not be found in the store.'), type: ProtocolError, message: 'folder "Inbox/Support" does not exist in support@example.com on mail.example.com:443' },
  { name: 'a mailbox being moved', error: new EwsResponseError('ErrorMailboxMoveInProgress', 'Mailbox move in progress. Try again later.'), type: ConnectionError, message: /could not serve FindItem right now/ },
  { name: 'any other EWS code', error: new EwsResponseError('ErrorSchemaValidation', 'The request failed schema validation.'), type: ProtocolError, message: 'mail.example.com:443 answered FindItem with ErrorSchemaValidation: The request failed schema validation.' },
  { name: 'connection refused', error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), type: ConnectionError, message: 'connection refused by mail.example.com:443 — is the port right?' },
  { name: 'an unknown host', error: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), type: ConnectionError, message: 'host mail.example.com not found' },
  { name: 'a self-signed certificate', error: Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), type: TlsError, message: /set caCertificate to trust it/ },
  { name: 'a deadline (already mapped)', error: new TimeoutError('no answer from mail.example.com:443 to FindItem within 30 s'), type: TimeoutError, message: 'no answer from mail.example.com:443 to FindItem within 30 s' },
];

describe('mapEwsError', () => {
  for (const row of rows) {
    it(`maps ${row.name}`, () => {
      const mapped = mapEwsError(row.error, row.ctx ?? ctx());
      assert.ok(mapped instanceof row.type, `${mapped.constructor.name}: ${mapped.message}`);
      if (typeof row.message === 'string') assert.equal(mapped.message, row.message);
      else assert.match(mapped.message, row.message);
      if (row.retryAfterMs !== undefined) assert.equal((mapped as ThrottledError).retryAfterMs, row.retryAfterMs);
    });
  }

  it('keeps the EWS code reachable for callers that react to one (ErrorInvalidSyncStateData)', () => {
    const mapped = mapEwsError(new EwsResponseError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt'), ctx());
    assert.equal(ewsCodeOf(mapped), 'ErrorInvalidSyncStateData');
    assert.equal(ewsCodeOf(mapEwsError(http(500, 'Internal Server Error', {}, busyFault('')), ctx())), 'ErrorServerBusy');
    assert.equal(ewsCodeOf(new Error('plain')), null);
  });
});

describe('refusalReason', () => {
  it('prefers x-ms-diagnostics, then the RFC 6750 error_description, then error', () => {
    assert.equal(refusalReason({ 'x-ms-diagnostics': '2000003;reason="The token has expired.";error_category="invalid_token"' }), 'The token has expired.');
    assert.equal(refusalReason({ 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' }), 'expired');
    assert.equal(refusalReason({ 'www-authenticate': 'Bearer error="invalid_token"' }), 'invalid_token');
    assert.equal(refusalReason({}), '');
  });
});
