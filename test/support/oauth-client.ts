import { createHash, randomBytes } from 'node:crypto';

import { testEnv, type AuthCoordinates } from './env';

/**
 * Client-side helpers for the test authorization server, usable from any test process. They drive
 * oidc-provider's devInteractions pages with fetch and a cookie jar: no browser needed. The dev
 * login accepts any password; the account id (and the `username` Dovecot checks) is the login.
 */

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

export type ClientAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** Default: basic for the static basic client, post when a secret is given, else none. */
  authMethod?: ClientAuthMethod;
}

export interface ObtainTokensOptions extends ClientCredentials {
  username: string;
  /** Default `openid email offline_access` (offline_access → a refresh token). */
  scope?: string;
  /** Default: the first static redirect URI. */
  redirectUri?: string;
  auth?: AuthCoordinates;
}

/** Runs the whole authorization-code + PKCE (S256) flow and exchanges the code for tokens. */
export async function obtainTokens(options: ObtainTokensOptions): Promise<TokenSet> {
  const auth = options.auth ?? testEnv().auth;
  const redirectUri = options.redirectUri ?? auth.redirectUris[0];
  const scope = options.scope ?? 'openid email offline_access';
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');

  const url = new URL(auth.authorizeUrl);
  url.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    // oidc-provider drops offline_access (so: no refresh token) unless consent is prompted.
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
  }).toString();

  const callback = new URL(await driveConsent(url.toString(), options.username));
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`authorization failed: ${error} ${callback.searchParams.get('error_description') ?? ''}`);
  if (callback.searchParams.get('state') !== state) throw new Error('authorization response lost the state');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);

  return tokenRequest(auth, options, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
}

/** Redeems a refresh token (rotating clients return a new one). Throws with the error code. */
export async function refreshTokens(refreshToken: string, client: ClientCredentials, auth = testEnv().auth): Promise<TokenSet> {
  return tokenRequest(auth, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/**
 * Follows an authorize URL built by someone else (e.g. the service under test) through the dev
 * login and consent pages, and returns the final redirect to the client (`...?code&state`) without
 * requesting it, so the test can hand it to the service's callback itself.
 */
export async function driveConsent(authorizeUrl: string, username: string, password = 'any-password'): Promise<string> {
  const jar = new CookieJar();
  const issuerOrigin = new URL(authorizeUrl).origin;
  let request: { url: string; form?: Record<string, string> } = { url: authorizeUrl };

  for (let hop = 0; hop < 20; hop += 1) {
    const response = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: request.form ? new URLSearchParams(request.form).toString() : undefined,
    });
    jar.store(response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, request.url).toString();
      if (new URL(next).origin !== issuerOrigin) return next; // back to the client: done
      request = { url: next };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`authorization server answered ${response.status}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`unexpected authorization page: ${html.slice(0, 500)}`);
    const target = new URL(action.replace(/&amp;/g, '&'), request.url).toString();
    request = prompt === 'login' ? { url: target, form: { prompt, login: username, password } } : { url: target, form: { prompt } };
  }
  throw new Error('too many redirects in the authorization flow');
}

export interface Introspection {
  active: boolean;
  client_id?: string;
  username?: string;
  sub?: string;
  scope?: string;
  exp?: number;
  token_type?: string;
  [claim: string]: unknown;
}

/** Asks the authorization server about a token, as Dovecot does (introspector client). */
export async function introspect(token: string, auth = testEnv().auth): Promise<Introspection> {
  const { id, secret } = auth.clients.introspector;
  const response = await fetch(auth.introspectionUrl, {
    method: 'POST',
    headers: { authorization: basicAuth(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  if (!response.ok) throw new Error(`introspection answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Introspection;
}

/**
 * Revokes an access or refresh token. Only the owning client may revoke, so without explicit
 * credentials the owner is found by introspection and must be one of the static clients.
 * (oidc-provider: revoking a refresh token ends the whole grant, its access tokens included.)
 */
export async function revoke(token: string, client?: ClientCredentials, auth = testEnv().auth): Promise<void> {
  const owner = client ?? staticClient((await introspect(token, auth)).client_id, auth);
  const response = await fetch(auth.revocationUrl, {
    method: 'POST',
    ...clientAuthentication(owner, auth, { token }),
  });
  if (!response.ok) throw new Error(`revocation answered ${response.status}: ${await response.text()}`);
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: ClientAuthMethod;
  [metadata: string]: unknown;
}

/**
 * Dynamic client registration (RFC 7591), e.g. with the service's real redirect URI. Extra
 * metadata understood by the test server: `x_access_token_ttl` (seconds) and
 * `x_rotate_refresh_token` (false = keep the refresh token, like Google).
 */
export async function registerClient(metadata: Record<string, unknown>, auth = testEnv().auth): Promise<RegisteredClient> {
  const response = await fetch(auth.registrationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], ...metadata }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${JSON.stringify(body)}`);
  return body as RegisteredClient;
}

export interface TokenEndpointStats {
  requests: number;
  errors: number;
  byGrantType: Record<string, number>;
}

/**
 * Token-endpoint requests per client since start (or the last reset). The server is shared by
 * concurrently running test files: compare before/after values or use a client of your own
 * rather than resetting.
 */
export async function tokenStats(clientId: string, auth = testEnv().auth): Promise<TokenEndpointStats> {
  const response = await fetch(auth.statsUrl);
  const all = (await response.json()) as { token: Record<string, TokenEndpointStats> };
  return all.token[clientId] ?? { requests: 0, errors: 0, byGrantType: {} };
}

export async function resetTokenStats(auth = testEnv().auth): Promise<void> {
  await fetch(auth.statsResetUrl, { method: 'POST' });
}

/** The next `times` token requests of `clientId` (any client if omitted) fail with this error. */
export async function injectTokenFault(
  fault: { clientId?: string; status?: number; error?: string; times?: number },
  auth = testEnv().auth,
): Promise<void> {
  await fetch(auth.faultsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
}

async function tokenRequest(auth: AuthCoordinates, client: ClientCredentials, params: Record<string, string>): Promise<TokenSet> {
  const response = await fetch(auth.tokenUrl, { method: 'POST', ...clientAuthentication(client, auth, params) });
  const body = (await response.json()) as TokenSet & { error?: string; error_description?: string };
  if (!response.ok) {
    throw Object.assign(new Error(`token endpoint: ${body.error} ${body.error_description ?? ''}`), { status: response.status, error: body.error });
  }
  return body;
}

function clientAuthentication(client: ClientCredentials, auth: AuthCoordinates, params: Record<string, string>) {
  const method = client.authMethod ?? defaultAuthMethod(client, auth);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (method === 'client_secret_basic') headers.authorization = basicAuth(client.clientId, client.clientSecret ?? '');
  else body.set('client_id', client.clientId);
  if (method === 'client_secret_post') body.set('client_secret', client.clientSecret ?? '');
  return { headers, body: body.toString() };
}

function defaultAuthMethod(client: ClientCredentials, auth: AuthCoordinates): ClientAuthMethod {
  if (client.clientId === auth.clients.confidentialBasic.id) return 'client_secret_basic';
  return client.clientSecret ? 'client_secret_post' : 'none';
}

function staticClient(clientId: string | undefined, auth: AuthCoordinates): ClientCredentials {
  const match = Object.values(auth.clients).find((c) => c.id === clientId);
  if (!match) throw new Error(`cannot revoke a token of client ${clientId}: pass its credentials`);
  return { clientId: match.id, clientSecret: 'secret' in match ? match.secret : undefined };
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Just enough of a cookie jar for one authorization flow on one host (paths ignored). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
