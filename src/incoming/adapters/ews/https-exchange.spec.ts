import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Credentials } from '../../../core/net/connection-options';
import { classifyEwsAnswer } from './ews-http';
import { authorizationFor, retryAfterMs, sendWithPolicy, type HttpsResponse, type Verdict } from './https-exchange';

const answer = (status: number, headers: Record<string, string> = {}, body = ''): HttpsResponse => ({ status, statusText: '', headers, body: Buffer.from(body) });

function oauth(tokens: string[]): { credentials: Credentials; calls: Array<boolean | undefined> } {
  const calls: Array<boolean | undefined> = [];
  return {
    calls,
    credentials: {
      kind: 'oauth2',
      username: 'support@example.com',
      accessToken: async (options) => {
        calls.push(options?.forceRefresh);
        return tokens[Math.min(calls.length - 1, tokens.length - 1)];
      },
    },
  };
}

/** A server that answers the queued responses in turn and records the Authorization headers. */
function server(...answers: HttpsResponse[]) {
  const seen: Array<string | null> = [];
  return { seen, send: async (authorization: string | null) => (seen.push(authorization), answers[Math.min(seen.length - 1, answers.length - 1)]) };
}

const classify = (response: HttpsResponse): Verdict => {
  if (response.status === 401) return { kind: 'unauthorized' };
  if (response.status === 429) return { kind: 'throttled', retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  return { kind: 'done' };
};

describe('sendWithPolicy', () => {
  it('refreshes a refused token once and retries with the new one', async () => {
    const { credentials, calls } = oauth(['old', 'new']);
    const http = server(answer(401), answer(200));
    const response = await sendWithPolicy(http.send, { credentials, budgetMs: 30_000, classify });
    assert.equal(response.status, 200);
    assert.deepEqual(calls, [false, true]);
    assert.deepEqual(http.seen, ['Bearer old', 'Bearer new']);
  });

  it('gives the second 401 back instead of refreshing again', async () => {
    const { credentials, calls } = oauth(['old', 'new']);
    const http = server(answer(401), answer(401), answer(200));
    assert.equal((await sendWithPolicy(http.send, { credentials, budgetMs: 30_000, classify })).status, 401);
    assert.deepEqual(calls, [false, true]);
  });

  it('never refreshes a password', async () => {
    const http = server(answer(401), answer(200));
    const credentials: Credentials = { kind: 'password', username: 'u', password: 'p' };
    assert.equal((await sendWithPolicy(http.send, { credentials, budgetMs: 30_000, classify })).status, 401);
    assert.equal(http.seen.length, 1);
  });

  it('waits the Retry-After and retries, up to three times', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const http = server(answer(429, { 'retry-after': '2' }), answer(429, { 'retry-after': '1' }), answer(200));
    const response = await sendWithPolicy(http.send, { credentials: { kind: 'none' }, budgetMs: 30_000, classify, sleep });
    assert.equal(response.status, 200);
    assert.deepEqual(waits, [2000, 1000]);

    const stubborn = server(answer(429, { 'retry-after': '1' }));
    waits.length = 0;
    assert.equal((await sendWithPolicy(stubborn.send, { credentials: { kind: 'none' }, budgetMs: 30_000, classify, sleep })).status, 429);
    assert.equal(stubborn.seen.length, 4);
    assert.deepEqual(waits, [1000, 1000, 1000]);
  });

  it('does not wait past the step budget: the throttled answer goes to the mapper', async () => {
    const waits: number[] = [];
    const http = server(answer(429, { 'retry-after': '120' }), answer(200));
    const response = await sendWithPolicy(http.send, { credentials: { kind: 'none' }, budgetMs: 30_000, classify, sleep: async (ms) => void waits.push(ms) });
    assert.equal(response.status, 429);
    assert.deepEqual(waits, []);
  });

  it('backs off exponentially from 1 s when the server names no wait', async () => {
    const waits: number[] = [];
    const http = server(answer(429), answer(429), answer(200));
    await sendWithPolicy(http.send, { credentials: { kind: 'none' }, budgetMs: 30_000, classify, sleep: async (ms) => void waits.push(ms) });
    assert.deepEqual(waits, [1000, 2000]);
  });
});

describe('authorizationFor', () => {
  it('uses Basic for passwords (UTF-8) and Bearer for OAuth2', async () => {
    assert.equal(await authorizationFor({ kind: 'password', username: 'ü@example.com', password: 'pä' }, false), `Basic ${Buffer.from('ü@example.com:pä').toString('base64')}`);
    assert.equal(await authorizationFor(oauth(['tok']).credentials, false), 'Bearer tok');
    assert.equal(await authorizationFor({ kind: 'none' }, false), null);
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-11-16T10:00:00Z');
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs('Mon, 16 Nov 2026 10:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('Mon, 16 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(retryAfterMs(undefined), null);
    assert.equal(retryAfterMs('soon'), null);
  });
});

describe('classifyEwsAnswer', () => {
  const fault = (code: string, backOff = '') =>
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>a:${code}</faultcode><faultstring>x</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code}</e:ResponseCode>${backOff}</detail></s:Fault></s:Body></s:Envelope>`;
  const rows: Array<[string, HttpsResponse, Verdict]> = [
    ['200', answer(200), { kind: 'done' }],
    ['401', answer(401), { kind: 'unauthorized' }],
    ['503 Retry-After', answer(503, { 'retry-after': '3' }), { kind: 'throttled', retryAfterMs: 3000 }],
    ['ErrorServerBusy', answer(500, {}, fault('ErrorServerBusy', '<t:MessageXml xmlns:t="t"><t:Value Name="BackOffMilliseconds">1500</t:Value></t:MessageXml>')), { kind: 'throttled', retryAfterMs: 1500 }],
    ['another fault', answer(500, {}, fault('ErrorInternalServerError')), { kind: 'done' }],
    ['a non-SOAP 500', answer(500, {}, '<html>oops</html>'), { kind: 'done' }],
  ];
  for (const [name, response, verdict] of rows) {
    it(`classifies ${name}`, () => assert.deepEqual(classifyEwsAnswer(response), verdict));
  }
});
