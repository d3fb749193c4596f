import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { sql } from '../support/oauth-fixtures';

const SECRET = 'gmail-client-secret-value-0123';
const gmail = { name: 'Helpdesk Gmail', provider: 'gmail', clientId: 'gmail-client.apps.googleusercontent.com', clientSecret: SECRET };
const custom = { provider: 'custom', clientId: 'c', clientSecret: 'custom-secret', authorizeUrl: 'https://as.example.com/authorize', tokenUrl: 'https://as.example.com/token', scopes: ['mail'] };

const messages = (body: { message: string | string[] }): string[] => (Array.isArray(body.message) ? body.message : [body.message]);

describe('OAuth2 applications API', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService();
  });
  after(async () => sut.close());

  it('lists the provider presets with scopes per base scope and the servers to pre-fill', async () => {
    const response = await sut.api.get('/v1/oauth2/providers');
    assert.equal(response.status, 200);
    const byName = Object.fromEntries(response.body.providers.map((p: { provider: string }) => [p.provider, p]));
    assert.deepEqual(Object.keys(byName).sort(), ['custom', 'gmail', 'mailRu', 'outlook']);
    assert.deepEqual(byName.gmail.authorizeParams, { access_type: 'offline', prompt: 'consent' });
    assert.deepEqual(byName.gmail.baseScopes.imap.incoming[0], { protocol: 'imaps', host: 'imap.gmail.com', port: 993 });
    assert.deepEqual(byName.outlook.baseScopes.graph.scopes, ['https://graph.microsoft.com/Mail.ReadWrite', 'https://graph.microsoft.com/Mail.Send', 'offline_access']);
    assert.equal(byName.outlook.baseScopes.ews.incoming[0].connectUrl, 'https://outlook.office365.com/EWS/Exchange.asmx');
    assert.deepEqual(byName.mailRu.baseScopes.imap.outgoing[0], { protocol: 'smtps', host: 'smtp.mail.ru', port: 465, tls: true });
  });

  it('creates an app from a preset with effective URLs and scopes, the secret write-only', async () => {
    const created = await sut.api.post('/v1/oauth2', { ...gmail, additionalScopes: ['https://www.googleapis.com/auth/calendar'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const app = created.body;
    assert.equal(app.authorizeUrl, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(app.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.deepEqual(app.scopes, ['https://mail.google.com/', 'openid', 'email', 'https://www.googleapis.com/auth/calendar']);
    assert.equal(app.tokenEndpointAuthMethod, 'client_secret_post');
    assert.equal(app.redirectUrl, `${sut.url}/oauth/callback`);
    assert.equal(app.clientSecretSet, true);
    assert.equal(app.clientSecretExpiring, false);
    assert.equal(app.enabled, true);
    assert.ok(app.id && app.createdAt && app.updatedAt);
    const fetched = await sut.api.get(`/v1/oauth2/${app.id}`);
    for (const body of [created.body, fetched.body]) assert.ok(!JSON.stringify(body).includes(SECRET), 'no secret in a response');
    const [row] = await sql(sut, 'SELECT client_secret_sealed FROM oauth_app WHERE id = $1', [app.id]);
    assert.ok(String(row.client_secret_sealed).startsWith('v1.') && !String(row.client_secret_sealed).includes(SECRET), 'sealed in the database');
  });

  it('lists apps with paging and reads, patches and clears overrides', async () => {
    const { body: app } = await sut.api.post('/v1/oauth2', { ...gmail, name: 'to patch' });
    const list = await sut.api.get('/v1/oauth2?page=1&pageSize=1');
    assert.equal(list.status, 200);
    assert.equal(list.body.apps.length, 1);
    assert.equal(list.body.pageSize, 1);
    assert.ok(list.body.total >= 2);
    const patched = await sut.api.patch(`/v1/oauth2/${app.id}`, { tokenUrl: 'https://token-proxy.example.com/token', enabled: false, tokenEndpointAuthMethod: 'client_secret_basic' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.tokenUrl, 'https://token-proxy.example.com/token');
    assert.equal(patched.body.overrides.tokenUrl, 'https://token-proxy.example.com/token');
    assert.equal(patched.body.tokenEndpointAuthMethod, 'client_secret_basic');
    assert.equal(patched.body.enabled, false);
    const cleared = await sut.api.patch(`/v1/oauth2/${app.id}`, { tokenUrl: null, tokenEndpointAuthMethod: null });
    assert.equal(cleared.body.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.equal(cleared.body.tokenEndpointAuthMethod, 'client_secret_post');
    assert.equal((await sut.api.patch(`/v1/oauth2/${app.id}`, { name: null })).status, 400, 'a required field cannot be cleared');
    const noClient = await sut.api.patch(`/v1/oauth2/${app.id}`, { clientId: null });
    assert.equal(noClient.status, 400);
    assert.match(noClient.body.message, /^clientId /, 'the 400 names the field');
    assert.equal((await sut.api.patch(`/v1/oauth2/${app.id}`, { clientId: '' })).status, 400, 'the create rules hold for PATCH too');
    assert.equal((await sut.api.get('/v1/oauth2/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await sut.api.get('/v1/oauth2/not-an-id')).status, 404);
  });

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['custom without authorizeUrl', { ...custom, authorizeUrl: undefined }, 'authorizeUrl'],
    ['custom without tokenUrl', { ...custom, tokenUrl: undefined }, 'tokenUrl'],
    ['custom without scopes', { ...custom, scopes: [] }, 'scopes'],
    ['an http token URL on a public host', { ...custom, tokenUrl: 'http://as.example.com/token' }, 'tokenUrl'],
    ['an http redirect URL on a public host', { ...gmail, redirectUrl: 'http://helpdesk.example.com/oauth/callback' }, 'redirectUrl'],
    ['a URL with a fragment', { ...custom, authorizeUrl: 'https://as.example.com/authorize#x' }, 'authorizeUrl'],
    ['extra Graph scopes with baseScope imap (Microsoft rule)', { provider: 'outlook', clientId: 'm', clientSecret: 's', additionalScopes: ['https://graph.microsoft.com/Calendars.Read'] }, 'additionalScopes'],
    ['a bare Graph permission with baseScope ews', { provider: 'outlook', clientId: 'm', clientSecret: 's', baseScope: 'ews', additionalScopes: ['Files.Read'] }, 'additionalScopes'],
    ['SMTP scopes with baseScope graph', { provider: 'outlook', clientId: 'm', clientSecret: 's', baseScope: 'graph', additionalScopes: ['https://outlook.office.com/SMTP.Send'] }, 'additionalScopes'],
    ['an authority on gmail', { ...gmail, authority: 'organizations' }, 'authority'],
    ['no client secret for a confidential client', { ...gmail, clientSecret: undefined }, 'clientSecret'],
    ['an unknown provider', { ...gmail, provider: 'yahoo' }, 'provider'],
    ['an unknown field', { ...gmail, clientSecretHash: 'x' }, 'clientSecretHash'],
  ];
  for (const [what, body, field] of refused) {
    it(`answers 400 naming ${field} for ${what}`, async () => {
      const response = await sut.api.post('/v1/oauth2', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.ok(messages(response.body).some((m) => m.startsWith(field)), `${JSON.stringify(response.body.message)} names ${field}`);
    });
  }

  it('accepts http endpoints on loopback hosts, Graph scopes with baseScope graph, and public clients', async () => {
    const loopback = await sut.api.post('/v1/oauth2', { ...custom, authorizeUrl: 'http://127.0.0.1:4000/auth', tokenUrl: 'http://localhost:4000/token', redirectUrl: 'http://[::1]:3000/oauth/callback' });
    assert.equal(loopback.status, 201, JSON.stringify(loopback.body));
    const graph = await sut.api.post('/v1/oauth2', { provider: 'outlook', clientId: 'm', clientSecret: 's', baseScope: 'graph', authority: 'organizations', additionalScopes: ['https://graph.microsoft.com/Calendars.Read'] });
    assert.equal(graph.status, 201, JSON.stringify(graph.body));
    assert.equal(graph.body.authorizeUrl, 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize');
    assert.ok(graph.body.scopes.includes('https://graph.microsoft.com/Calendars.Read'));
    const back = await sut.api.patch(`/v1/oauth2/${graph.body.id}`, { baseScope: 'imap' });
    assert.equal(back.status, 400, 'the merged app is checked: Graph scopes stay only with baseScope graph');
    assert.ok(messages(back.body).some((m) => m.startsWith('additionalScopes')));
    const publicClient = await sut.api.post('/v1/oauth2', { ...custom, clientSecret: undefined, tokenEndpointAuthMethod: 'none' });
    assert.equal(publicClient.status, 201, JSON.stringify(publicClient.body));
    assert.equal(publicClient.body.clientSecretSet, false);
  });

  it('warns 30 days before a client secret expires, on the app, /health and /metrics', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const { body: app } = await sut.api.post('/v1/oauth2', { ...gmail, name: 'expiring secret', clientSecretExpiresAt: soon });
    assert.equal(app.clientSecretExpiring, true);
    const later = await sut.api.post('/v1/oauth2', { ...gmail, name: 'fine secret', clientSecretExpiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() });
    assert.equal(later.body.clientSecretExpiring, false);
    const health: any = await fetch(`${sut.url}/health`).then((r) => r.json());
    const warning = health.warnings.find((w: { subject: string }) => w.subject === `oauth2App:${app.id}`);
    assert.ok(warning, JSON.stringify(health));
    assert.match(warning.message, /client secret of OAuth2 app "expiring secret" expires on/);
    const metrics = await sut.api.get('/metrics');
    assert.match(metrics.body, /deskmail_oauth_client_secrets_expiring [1-9]/);
  });

  it('refuses to delete an app while a mailbox uses it, then deletes it', async () => {
    const { body: app } = await sut.api.post('/v1/oauth2', { ...custom, name: 'in use' });
    const mailbox = await sut.api.post('/v1/mailboxes', {
      name: 'uses the app',
      emailAddresses: ['in-use@example.test'],
      incoming: { protocol: 'imaps', authType: 'oauth2', host: 'imap.example.test', username: 'in-use@example.test', oauth2App: app.id },
    });
    assert.equal(mailbox.status, 201, JSON.stringify(mailbox.body));
    const refused = await sut.api.delete(`/v1/oauth2/${app.id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /used by 1 mailbox/);
    assert.equal((await sut.api.delete(`/v1/mailboxes/${mailbox.body.id}`)).status, 204);
    assert.equal((await sut.api.delete(`/v1/oauth2/${app.id}`)).status, 204);
    assert.equal((await sut.api.get(`/v1/oauth2/${app.id}`)).status, 404);
  });

  it('documents the OAuth2 routes and tokenEndpointAuthMethod in the OpenAPI document', async () => {
    const docs: any = await fetch(`${sut.url}/docs-json`).then((r) => r.json());
    for (const path of ['/v1/oauth2', '/v1/oauth2/{id}', '/v1/oauth2/providers', '/v1/mailboxes/{id}/authorize', '/v1/mailboxes/{id}/oauth2-tokens', '/v1/mailboxes/{id}/oauth-token', '/v1/mailboxes/{id}/reconnect', '/oauth/callback']) {
      assert.ok(docs.paths[path], `${path} documented`);
    }
    const create = docs.components.schemas.CreateOAuthAppDto.properties;
    assert.deepEqual(create.tokenEndpointAuthMethod.enum, ['client_secret_post', 'client_secret_basic', 'none']);
    assert.match(create.additionalScopes.description, /baseScope graph/);
    assert.ok(docs.components.schemas.OAuthAppResponse.properties.clientSecretSet);
    assert.equal(docs.components.schemas.OAuthAppResponse.properties.clientSecret, undefined);
  });

  it('needs the API token', async () => {
    assert.equal((await sut.api.withToken(null).get('/v1/oauth2')).status, 401);
  });
});
