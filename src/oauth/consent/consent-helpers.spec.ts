import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAuthorizeUrl, offlineAccessParams } from './authorize-url';
import { escapeHtml, renderCallbackPage, scriptSafeJson } from './callback-page';
import { codeChallengeS256, hashState, randomUrlSafe } from './pkce';

describe('PKCE and state', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B', () => {
    assert.equal(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes verifiers of 43 unreserved characters (RFC 7636 §4.1) and distinct states', () => {
    const verifier = randomUrlSafe();
    assert.match(verifier, /^[A-Za-z0-9\-._~]{43}$/);
    assert.notEqual(randomUrlSafe(), randomUrlSafe());
    assert.match(hashState('s'), /^[0-9a-f]{64}$/);
    assert.ok(!hashState('the-state').includes('the-state'));
  });
});

describe('authorize URL', () => {
  const request = {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    clientId: 'client 1',
    redirectUri: 'https://helpdesk.example.com/oauth/callback',
    scopes: ['https://mail.google.com/', 'openid', 'email'],
    state: 'st',
    codeChallenge: 'ch',
    extraParams: { access_type: 'offline', prompt: 'consent' },
    loginHint: 'support@example.com',
  };

  it('carries the code-flow parameters, PKCE S256, provider extras and the login hint', () => {
    const url = new URL(buildAuthorizeUrl(request));
    const p = url.searchParams;
    assert.equal(url.origin + url.pathname, request.authorizeUrl);
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), 'client 1');
    assert.equal(p.get('redirect_uri'), request.redirectUri);
    assert.equal(p.get('scope'), 'https://mail.google.com/ openid email');
    assert.equal(p.get('state'), 'st');
    assert.equal(p.get('code_challenge'), 'ch');
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.equal(p.get('access_type'), 'offline');
    assert.equal(p.get('prompt'), 'consent');
    assert.equal(p.get('login_hint'), 'support@example.com');
  });

  it('keeps query parameters of the configured URL (RFC 6749 §3.1)', () => {
    const url = new URL(buildAuthorizeUrl({ ...request, authorizeUrl: 'https://as.example/auth?tenant=x', extraParams: {}, loginHint: null }));
    assert.equal(url.searchParams.get('tenant'), 'x');
    assert.equal(url.searchParams.has('login_hint'), false);
  });

  it('asks custom OpenID servers for consent when offline_access is wanted (OIDC Core §11), never Microsoft', () => {
    assert.deepEqual(offlineAccessParams('custom', ['openid', 'offline_access']), { prompt: 'consent' });
    assert.deepEqual(offlineAccessParams('custom', ['mail']), {});
    assert.deepEqual(offlineAccessParams('outlook', ['openid', 'offline_access']), {});
  });
});

describe('callback page', () => {
  it('escapes every value and keeps script content from closing its element', () => {
    assert.equal(escapeHtml(`<a href="x">'&`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;');
    assert.equal(scriptSafeJson({ m: '</script><!--\u2028' }), '{"m":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
    const page = renderCallbackPage({ ok: false, mailbox: 'm1', side: 'incoming', error: '<img src=x onerror=alert(1)>' });
    assert.equal(page.status, 400);
    assert.ok(!page.html.includes('<img'));
    assert.ok(page.html.includes('&#60;img'));
  });

  it('posts the contract message to window.opener under a nonce-only CSP', () => {
    const page = renderCallbackPage({ ok: true, mailbox: 'abc', side: 'incoming', user: 'a@example.com' });
    assert.equal(page.status, 200);
    assert.ok(page.html.includes('"type":"deskmail:oauth","ok":true,"mailbox":"abc"'));
    assert.ok(page.html.includes('window.opener.postMessage(message, window.location.origin)'));
    const nonce = /nonce="([^"]+)"/.exec(page.html)![1];
    assert.equal(page.headers['Content-Security-Policy'].includes(`script-src 'nonce-${nonce}'`), true);
    assert.match(page.headers['Content-Security-Policy'], /default-src 'none'/);
    assert.equal(page.headers['Cache-Control'], 'no-store');
    assert.equal(page.headers['Referrer-Policy'], 'no-referrer');
  });
});
