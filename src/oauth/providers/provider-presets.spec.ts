import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPresets, PROVIDERS, providerPresets } from './provider-presets';
import { microsoftResourceOf } from './microsoft-scopes';

describe('provider presets (config/oauth-providers.json)', () => {
  it('loads every provider with the endpoints of design.md', () => {
    const presets = providerPresets();
    assert.deepEqual(Object.keys(presets).sort(), [...PROVIDERS].sort());
    assert.equal(presets.gmail.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.deepEqual(presets.gmail.baseScopes.imap?.scopes, ['https://mail.google.com/']);
    assert.deepEqual(Object.keys(presets.outlook.baseScopes), ['imap', 'graph', 'ews']);
    assert.equal(presets.mailRu.authorizeUrl, 'https://oauth.mail.ru/login');
    assert.deepEqual(presets.mailRu.baseScopes.imap?.scopes, ['userinfo', 'mail.imap']);
  });

  it('carries the servers the admin UI pre-fills', () => {
    const outlook = providerPresets().outlook.baseScopes;
    assert.deepEqual(outlook.imap?.outgoing, [{ protocol: 'smtp', host: 'smtp.office365.com', port: 587, tls: true }]);
    assert.equal(outlook.ews?.incoming[0].connectUrl, 'https://outlook.office365.com/EWS/Exchange.asmx');
  });

  it('refuses a broken presets file with a message naming the problem', () => {
    const broken = structuredClone(providerPresets()) as unknown as Record<string, Record<string, unknown>>;
    broken.gmail.tokenUrl = 'http://oauth2.googleapis.com/token';
    assert.throws(() => checkPresets(broken), /gmail needs https/);
    broken.gmail.tokenUrl = 'https://oauth2.googleapis.com/token';
    delete broken.mailRu;
    assert.throws(() => checkPresets(broken), /mailRu is missing/);
  });

  it('sorts Microsoft scopes by resource', () => {
    assert.equal(microsoftResourceOf('offline_access'), 'oidc');
    assert.equal(microsoftResourceOf('https://graph.microsoft.com/Mail.Send'), 'graph');
    assert.equal(microsoftResourceOf('Mail.Send'), 'graph');
    assert.equal(microsoftResourceOf('https://outlook.office365.com/EWS.AccessAsUser.All'), 'exchange');
    assert.equal(microsoftResourceOf('api://my-api/.default'), 'other');
  });
});
