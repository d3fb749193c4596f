import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../../core/errors';
import { checkAppSettings, clientSecretExpiring, effectiveApp, endpointUrlProblem, isLoopbackHost, type AppSettings } from './oauth-app.rules';

const base: AppSettings = {
  provider: 'gmail',
  clientSecretSet: true,
  redirectUrl: null,
  authority: null,
  baseScope: 'imap',
  authorizeUrl: null,
  tokenUrl: null,
  scopes: null,
  additionalScopes: [],
  tokenEndpointAuthMethod: null,
};

function fieldOf(settings: Partial<AppSettings>): string | null {
  try {
    checkAppSettings({ ...base, ...settings });
    return null;
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error));
    return error.field;
  }
}

describe('OAuth2 app rules', () => {
  it('accepts https endpoints and http only for loopback hosts', () => {
    const cases: Array<[string, boolean]> = [
      ['https://login.example.com/oauth/token', true],
      ['http://127.0.0.1:4000/token', true],
      ['http://127.10.20.30/token', true],
      ['http://localhost:3000/oauth/callback', true],
      ['http://[::1]:8080/token', true],
      ['http://login.example.com/token', false],
      ['http://10.0.0.1/token', false],
      ['http://localhost.evil.com/token', false],
      ['ftp://login.example.com/token', false],
      ['https://login.example.com/token#frag', false],
      ['https://user:pw@login.example.com/token', false],
      ['/relative/token', false],
      ['https://login.microsoftonline.com/{authority}/oauth2/v2.0/token', true],
    ];
    for (const [url, ok] of cases) assert.equal(endpointUrlProblem(url) === null, ok, url);
    assert.equal(isLoopbackHost('127.0.0.1'), true);
    assert.equal(isLoopbackHost('128.0.0.1'), false);
  });

  it('requires authorizeUrl, tokenUrl and scopes for provider custom, naming each', () => {
    const custom = { provider: 'custom' as const };
    assert.equal(fieldOf(custom), 'authorizeUrl');
    assert.equal(fieldOf({ ...custom, authorizeUrl: 'https://as.example/auth' }), 'tokenUrl');
    assert.equal(fieldOf({ ...custom, authorizeUrl: 'https://as.example/auth', tokenUrl: 'https://as.example/token' }), 'scopes');
    assert.equal(fieldOf({ ...custom, authorizeUrl: 'https://as.example/auth', tokenUrl: 'https://as.example/token', scopes: ['mail'] }), null);
    assert.equal(fieldOf({ ...custom, authorizeUrl: 'http://as.example/auth', tokenUrl: 'https://as.example/token', scopes: ['mail'] }), 'authorizeUrl');
  });

  it('refuses extra Microsoft Graph scopes unless baseScope is graph', () => {
    const outlook = { provider: 'outlook' as const };
    assert.equal(fieldOf({ ...outlook, additionalScopes: ['https://graph.microsoft.com/Calendars.Read'] }), 'additionalScopes');
    assert.equal(fieldOf({ ...outlook, additionalScopes: ['Calendars.Read'] }), 'additionalScopes', 'a bare permission is a Graph scope');
    assert.equal(fieldOf({ ...outlook, baseScope: 'ews', additionalScopes: ['https://graph.microsoft.com/Files.Read'] }), 'additionalScopes');
    assert.equal(fieldOf({ ...outlook, baseScope: 'graph', additionalScopes: ['https://graph.microsoft.com/Calendars.Read', 'Files.Read'] }), null);
    assert.equal(fieldOf({ ...outlook, additionalScopes: ['openid', 'profile', 'https://outlook.office.com/POP.AccessAsUser.All'] }), null);
  });

  it('refuses IMAP/SMTP scopes with baseScope graph', () => {
    assert.equal(fieldOf({ provider: 'outlook', baseScope: 'graph', additionalScopes: ['https://outlook.office.com/SMTP.Send'] }), 'additionalScopes');
    assert.equal(fieldOf({ provider: 'outlook', baseScope: 'graph', scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'] }), 'scopes');
  });

  it('does not apply the Microsoft rule to other providers', () => {
    assert.equal(fieldOf({ additionalScopes: ['https://www.googleapis.com/auth/calendar'] }), null);
  });

  it('checks authority and baseScope against the provider', () => {
    assert.equal(fieldOf({ authority: 'organizations' }), 'authority', 'gmail has no authority');
    assert.equal(fieldOf({ provider: 'outlook', authority: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a' }), null);
    assert.equal(fieldOf({ provider: 'outlook', authority: 'contoso.onmicrosoft.com' }), null);
    assert.equal(fieldOf({ provider: 'outlook', authority: '../evil' }), 'authority');
    assert.equal(fieldOf({ baseScope: 'graph' }), 'baseScope', 'gmail offers imap only');
  });

  it('rejects scope values that are not RFC 6749 scope tokens', () => {
    assert.equal(fieldOf({ additionalScopes: ['two words'] }), 'additionalScopes');
    assert.equal(fieldOf({ additionalScopes: ['quote"d'] }), 'additionalScopes');
  });

  it('needs a client secret unless the client is public (none)', () => {
    assert.equal(fieldOf({ clientSecretSet: false }), 'clientSecret');
    assert.equal(fieldOf({ clientSecretSet: false, tokenEndpointAuthMethod: 'none' }), null);
  });

  it('computes effective URLs with the Microsoft authority substituted and scopes appended', () => {
    const app = effectiveApp({ ...base, provider: 'outlook', authority: 'organizations', additionalScopes: ['offline_access', 'https://outlook.office.com/EWS.AccessAsUser.All'] });
    assert.equal(app.authorizeUrl, 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize');
    assert.equal(app.tokenUrl, 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token');
    assert.deepEqual(app.scopes, [
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/POP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
      'openid',
      'profile',
      'email',
      'https://outlook.office.com/EWS.AccessAsUser.All',
    ]);
    assert.equal(effectiveApp({ ...base, provider: 'outlook' }).authority, 'common');
    assert.equal(effectiveApp({ ...base, provider: 'mailRu' }).tokenEndpointAuthMethod, 'client_secret_basic');
    assert.deepEqual(effectiveApp(base).authorizeParams, { access_type: 'offline', prompt: 'consent' });
  });

  it('lets overrides replace preset URLs and base scopes', () => {
    const app = effectiveApp({ ...base, tokenUrl: 'https://proxy.example/token', scopes: ['https://mail.google.com/'], tokenEndpointAuthMethod: 'client_secret_basic' });
    assert.equal(app.tokenUrl, 'https://proxy.example/token');
    assert.equal(app.authorizeUrl, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(app.tokenEndpointAuthMethod, 'client_secret_basic');
  });

  it('reports a client secret as expiring within 30 days and after expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(clientSecretExpiring(null, now), false);
    assert.equal(clientSecretExpiring(new Date('2026-03-01T00:00:00Z'), now), false);
    assert.equal(clientSecretExpiring(new Date('2026-01-30T00:00:00Z'), now), true);
    assert.equal(clientSecretExpiring(new Date('2025-12-01T00:00:00Z'), now), true);
  });
});
