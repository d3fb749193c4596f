import assert from 'node:assert/strict';
import { Database } from '../../src/core/database/database';
import { OAuthTuning } from '../../src/oauth/oauth-tuning';
import { driveConsent, registerClient, tokenStats, type RegisteredClient } from './oauth-client';
import { testEnv, type AuthCoordinates } from './env';
import type { ApiClient, ServiceUnderTest } from './service';

/**
 * OAuth2 test fixtures on top of the shared harness: apps pointing at the test authorization
 * server, OAuth2 mailboxes on the test Dovecot, the consent round trip as a browser would do it,
 * and direct SQL for what a test must arrange (an access token that expired, a day gone by).
 */

export interface AppClient {
  clientId: string;
  clientSecret?: string;
  method: 'client_secret_post' | 'client_secret_basic' | 'none';
}

/** A client registered for this service's real redirect URI (RFC 7591), with its own token counter. */
export async function registerServiceClient(sut: ServiceUnderTest, options: { ttl?: number; rotate?: boolean; method?: AppClient['method'] } = {}): Promise<AppClient> {
  const method = options.method ?? 'client_secret_post';
  const client: RegisteredClient = await registerClient({
    redirect_uris: [`${sut.url}/oauth/callback`],
    application_type: 'native',
    token_endpoint_auth_method: method,
    ...(options.ttl ? { x_access_token_ttl: options.ttl } : {}),
    ...(options.rotate === false ? { x_rotate_refresh_token: false } : {}),
  });
  return { clientId: client.client_id, clientSecret: client.client_secret, method };
}

/** A `custom` app for the test authorization server. */
export async function createCustomApp(api: ApiClient, client: AppClient, extra: Record<string, unknown> = {}, auth: AuthCoordinates = testEnv().auth): Promise<string> {
  const response = await api.post('/v1/oauth2', {
    name: `test ${client.clientId}`,
    provider: 'custom',
    clientId: client.clientId,
    ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
    tokenEndpointAuthMethod: client.method,
    authorizeUrl: auth.authorizeUrl,
    tokenUrl: auth.tokenUrl,
    scopes: ['openid', 'email', 'offline_access'],
    ...extra,
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id;
}

/** A mailbox whose incoming side logs in to the test Dovecot by OAuth2 as `user`. */
export async function createOAuthMailbox(api: ApiClient, appId: string, user: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dovecot = testEnv().dovecot;
  const response = await api.post('/v1/mailboxes', {
    name: `OAuth ${user}`,
    emailAddresses: [user],
    incoming: { protocol: 'imaps', authType: 'oauth2', host: dovecot.host, port: dovecot.imapsPort, username: user, oauth2App: appId, caCertificate: dovecot.caCert },
    ...extra,
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id;
}

/** POST authorize, then follow the URL through login and consent as the admin's browser would. */
export async function consentRedirect(api: ApiClient, mailboxId: string, user: string, side = 'incoming'): Promise<{ authorizeUrl: string; redirect: string }> {
  const started = await api.post(`/v1/mailboxes/${mailboxId}/authorize`, { side });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  return { authorizeUrl: started.body.url, redirect: await driveConsent(started.body.url, user) };
}

/** The whole consent round trip over HTTP; returns the callback's answer. */
export async function authorizeMailbox(sut: ServiceUnderTest, mailboxId: string, user: string, side = 'incoming'): Promise<{ status: number; html: string; headers: Headers }> {
  const { redirect } = await consentRedirect(sut.api, mailboxId, user, side);
  assert.ok(redirect.startsWith(`${sut.url}/oauth/callback?`), redirect);
  const response = await fetch(redirect);
  return { status: response.status, html: await response.text(), headers: response.headers };
}

export async function sql<T = Record<string, unknown>>(sut: ServiceUnderTest, query: string, params: unknown[] = []): Promise<T[]> {
  return sut.service.app.get(Database).run((em) => em.query(query, params));
}

/** Makes the side's access token look expired (as if an hour went by). */
export async function expireAccessToken(sut: ServiceUnderTest, mailboxId: string, side = 'incoming'): Promise<void> {
  await sql(sut, `UPDATE oauth_grant SET expires_at = now() - interval '1 minute' WHERE mailbox_id = $1 AND side = $2`, [mailboxId, side]);
}

export async function grantRow(sut: ServiceUnderTest, mailboxId: string, side = 'incoming'): Promise<Record<string, any> | undefined> {
  const [row] = await sql(sut, 'SELECT * FROM oauth_grant WHERE mailbox_id = $1 AND side = $2', [mailboxId, side]);
  return row;
}

export function tuning(sut: ServiceUnderTest): OAuthTuning {
  return sut.service.app.get(OAuthTuning);
}

/** Token-endpoint requests of one client so far (the server is shared: compare deltas). */
export async function tokenRequests(clientId: string): Promise<number> {
  return (await tokenStats(clientId)).requests;
}

export const OAUTH_ENV = { DESKMAIL_ENABLE_OAUTH_TOKENS_API: 'true' };

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
