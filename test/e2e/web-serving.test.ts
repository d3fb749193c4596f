import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { assertUiBuilt } from './ui-browser';

/** How the service serves the built admin UI at `/`, next to the API it must never shadow. */
describe('admin UI served by the service', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    assertUiBuilt();
    sut = await startTestService();
  });
  after(async () => sut?.close());

  const get = (p: string, init?: RequestInit) => fetch(sut.url + p, { redirect: 'manual', ...init });

  it('serves index.html at / and for client routes, without the API token, with a strict CSP', async () => {
    for (const route of ['/', '/mailboxes', '/mailboxes/4f6d1c2e-0000-4000-8000-000000000000', '/requests/abc?q=x']) {
      const response = await get(route);
      assert.equal(response.status, 200, route);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await response.text(), /<div id="root"><\/div>/);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, 'scripts from this origin only: no unsafe-inline, no eval');
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      // window.opener must survive the consent popup (the callback posts its result back).
      assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin-allow-popups');
    }
  });

  it('serves the hashed assets with a long cache, and a missing asset as a 404, not as index.html', async () => {
    const assets = readdirSync(path.resolve(__dirname, '../../web/assets'));
    const script = assets.find((name) => name.endsWith('.js'))!;
    const found = await get(`/assets/${script}`);
    assert.equal(found.status, 200);
    assert.match(found.headers.get('content-type') ?? '', /javascript/);
    assert.equal(found.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await get('/assets/index-gone.js')).status, 404);
  });

  it('never shadows the API, the OAuth2 callback, health, metrics or the API docs', async () => {
    const expectations: Array<[string, number, RegExp]> = [
      ['/v1/mailboxes', 401, /json/],
      ['/v1/no-such-route', 404, /json/],
      ['/v1', 404, /json/],
      ['/oauth/callback', 400, /html/],
      ['/oauth/no-such-route', 404, /json/],
      ['/health', 200, /json/],
      ['/metrics', 401, /json/],
      ['/docs-json', 200, /json/],
    ];
    for (const [route, status, type] of expectations) {
      const response = await get(route);
      assert.equal(response.status, status, route);
      assert.match(response.headers.get('content-type') ?? '', type, route);
      assert.doesNotMatch(await response.text(), /<div id="root">/, `${route} is not the UI`);
    }
    assert.equal((await get('/', { method: 'POST' })).status, 404, 'the UI answers GET only');
  });
});
