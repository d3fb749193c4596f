import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff';
import { redactSecrets, safeExcerpt } from './redact';
import { encodeRequest } from './token-endpoint.client';
import { parseTokenResponse } from './token-response';

describe('backoff', () => {
  it('doubles from the base per failure and stops at the cap', () => {
    const policy = { baseMs: 500, maxMs: 4000 };
    assert.deepEqual([1, 2, 3, 4, 5, 50, 5000].map((n) => backoffDelayMs(n, policy)), [500, 1000, 2000, 4000, 4000, 4000, 4000]);
    assert.equal(backoffDelayMs(0, policy), 500, 'attempt numbers below 1 count as the first');
  });

  it('spreads delays by the jitter fraction without passing the cap', () => {
    const policy = { baseMs: 1000, maxMs: 10_000, jitter: 0.5 };
    assert.equal(backoffDelayMs(1, policy, () => 0), 500);
    assert.equal(backoffDelayMs(1, policy, () => 1), 1500);
    assert.equal(backoffDelayMs(10, policy, () => 1), 10_000);
  });
});

describe('redaction of token endpoint answers', () => {
  it('removes token and secret fields in JSON and form bodies', () => {
    const json = '{"access_token":"ya29.a0AVA9y1sXQ","refresh_token":"1//0gabc","token_type":"Bearer"}';
    const out = redactSecrets(json);
    assert.ok(!out.includes('ya29') && !out.includes('1//0gabc'), out);
    assert.ok(out.includes('"token_type":"Bearer"'));
    const form = redactSecrets('grant_type=refresh_token&refresh_token=abc&client_secret=s3cr3t&code=xyz');
    assert.equal(form, 'grant_type=refresh_token&refresh_token=[redacted]&client_secret=[redacted]&code=[redacted]');
  });

  it('removes long token-like runs (JWTs, opaque tokens) but keeps correlation ids', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const out = redactSecrets(`<html>echo ${jwt} trace 2f1c0e3a-9b1d-4a5e-8f00-123456789abc</html>`);
    assert.ok(!out.includes('eyJ'), out);
    assert.ok(out.includes('2f1c0e3a-9b1d-4a5e-8f00-123456789abc'));
    assert.equal(redactSecrets('HTTP 503 temporarily_unavailable application/x-www-form-urlencoded'), 'HTTP 503 temporarily_unavailable application/x-www-form-urlencoded');
    assert.equal(redactSecrets('opaque Zx9QmR2vKp7TnW4yLs8dHc3bJf6gA1eE0uOiYt5'), 'opaque [redacted]');
  });

  it('bounds the excerpt and makes it one line', () => {
    const excerpt = safeExcerpt(`<html>\n<body>${'Service Unavailable '.repeat(100)}</body></html>`);
    assert.ok(excerpt.length <= 301);
    assert.ok(!excerpt.includes('\n'));
  });
});

describe('token endpoint answers', () => {
  it('reads a success per RFC 6749 §5.1', () => {
    const outcome = parseTokenResponse(200, 'application/json', JSON.stringify({ access_token: 'at', refresh_token: 'rt', expires_in: 3599, scope: 'a b', id_token: 'x.y.z', token_type: 'Bearer' }));
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.tokens.scopes, ['a', 'b']);
    assert.equal(outcome.tokens.expiresIn, 3599);
    assert.equal(outcome.tokens.refreshToken, 'rt');
    assert.deepEqual(outcome.tokens.extras, { expires_in: 3599, scope: 'a b', token_type: 'Bearer' }, 'extras never carry tokens');
  });

  it('sorts failures by what to do about them', () => {
    const kind = (status: number, body: string, type = 'application/json') => {
      const outcome = parseTokenResponse(status, type, body);
      return outcome.ok ? 'ok' : outcome.failure.kind;
    };
    const table: Array<[number, string, string, string?]> = [
      [400, '{"error":"invalid_grant","error_description":"grant request is invalid"}', 'invalidGrant'],
      [400, '{"error":"interaction_required","error_description":"AADSTS50076: MFA"}', 'invalidGrant'],
      [401, '{"error":"invalid_client"}', 'clientRejected'],
      [400, '{"error":"unauthorized_client"}', 'clientRejected'],
      [400, '{"error":"invalid_scope"}', 'rejected'],
      [500, '{"error":"server_error"}', 'transient'],
      [503, '{"error":"temporarily_unavailable"}', 'transient'],
      [429, '{"error":"slow_down"}', 'transient'],
      [502, '<html><body>Bad Gateway</body></html>', 'transient', 'text/html'],
      [200, '<html>maintenance</html>', 'transient', 'text/html'],
      [200, '', 'transient'],
      [200, '{"token_type":"Bearer"}', 'transient'],
      [200, '[1,2]', 'transient'],
      [404, '{"message":"not found"}', 'transient'],
    ];
    for (const [status, body, expected, type] of table) assert.equal(kind(status, body, type), expected, `${status} ${body}`);
  });

  it('describes failures with status and a redacted excerpt', () => {
    const outcome = parseTokenResponse(200, 'text/html; charset=utf-8', '<html>token=abcdefghijklmnopqrstuvwxyz0123</html>');
    assert.ok(!outcome.ok);
    assert.match(outcome.failure.summary, /^HTTP 200 with a non-JSON body \(text\/html\): /);
    assert.ok(!outcome.failure.summary.includes('abcdefghijklmnop'));
  });
});

describe('client authentication (RFC 6749 §2.3.1)', () => {
  const params = { grant_type: 'refresh_token', refresh_token: 'rt' };

  it('sends the secret in the body for client_secret_post', () => {
    const { headers, body } = encodeRequest({ clientId: 'id', clientSecret: 'sec', method: 'client_secret_post' }, params);
    assert.equal(headers.authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), { ...params, client_id: 'id', client_secret: 'sec' });
  });

  it('sends form-urlencoded id and secret in Basic for client_secret_basic', () => {
    const { headers, body } = encodeRequest({ clientId: 'id:1', clientSecret: 's&c', method: 'client_secret_basic' }, params);
    assert.equal(Buffer.from(headers.authorization.slice(6), 'base64').toString(), 'id%3A1:s%26c');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), params);
  });

  it('sends only the client id for a public client (none)', () => {
    const { headers, body } = encodeRequest({ clientId: 'id', clientSecret: null, method: 'none' }, params);
    assert.equal(headers.authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), { ...params, client_id: 'id' });
  });
});
