// Test OAuth2/OIDC authorization server, run as a CHILD PROCESS by test/support/auth-server.ts.
//
// Plain ESM on purpose: oidc-provider is ESM-only and ships no types, so a small JS entry point is
// simpler than typing it. Configuration arrives as one JSON argument; when the server listens it
// prints one line `READY {json}` on stdout, which the parent waits for.
//
// Besides the standard endpoints (authorize, token, revocation, introspection, registration) it
// serves a few test-only endpoints under /test/ (see handleTestEndpoint):
//   GET  /test/stats        token-endpoint requests per client and grant type
//   POST /test/stats/reset  zero the counters
//   POST /test/faults       {clientId?, status, error?, times} → the next `times` token requests of
//                           that client get this error instead of being processed (e.g. a 503)
import { createServer } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const host = config.host ?? '127.0.0.1';
const port = Number(config.port ?? 0);
const issuer = `http://${host}:${port}`;
const shortTtl = Number(config.shortAccessTokenTtl ?? 5);
// Native (loopback) redirect URIs match on any port (RFC 8252 §7.3), so a service under test on a
// random port can use these paths with the static clients. Anything else: dynamic registration.
const redirectUris = config.redirectUris ?? ['http://127.0.0.1/callback'];
const clients = config.clients; // { native, nativeShort, confidentialPost, confidentialBasic, introspector }

const codeFlow = { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
const staticClients = [
  { client_id: clients.native, token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: redirectUris, ...codeFlow },
  { client_id: clients.nativeShort, token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: redirectUris,
    x_access_token_ttl: shortTtl, ...codeFlow },
  { client_id: clients.confidentialPost.id, client_secret: clients.confidentialPost.secret, token_endpoint_auth_method: 'client_secret_post',
    application_type: 'native', redirect_uris: redirectUris, ...codeFlow },
  { client_id: clients.confidentialBasic.id, client_secret: clients.confidentialBasic.secret, token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'native', redirect_uris: redirectUris, ...codeFlow },
  // Resource servers (Dovecot, the SMTP receivers) use this one to call the introspection endpoint.
  { client_id: clients.introspector.id, client_secret: clients.introspector.secret, token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [], response_types: [], redirect_uris: [] },
];

/** Per-client TTL override from the extra metadata `x_access_token_ttl` (seconds). */
function accessTokenTtl(_ctx, _token, client) {
  const ttl = Number(client?.x_access_token_ttl ?? client?.xAccessTokenTtl);
  return Number.isFinite(ttl) && ttl > 0 ? ttl : 3600;
}

const provider = new Provider(issuer, {
  clients: staticClients,
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    // Open dynamic registration: tests register clients with the service's real redirect URI.
    registration: { enabled: true, initialAccessToken: false },
  },
  extraClientMetadata: { properties: ['x_access_token_ttl', 'x_rotate_refresh_token'] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id, email_verified: true, name: id }) }),
  // Dovecot's oauth2 passdb reads the mailbox user from this introspection field (username_attribute).
  extraTokenClaims: async (_ctx, token) => (token.accountId ? { username: token.accountId } : undefined),
  // Like Microsoft's endpoint: every refresh rotates the refresh token, unless the client opts out.
  rotateRefreshToken: (ctx) => ctx.oidc.entities.Client?.x_rotate_refresh_token !== false,
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 120,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
    Interaction: 3600,
  },
  cookies: { keys: ['deskmail-test-cookie-key'] },
  // oidc-provider otherwise logs every expected error (bad tokens are what the tests provoke).
  renderError: (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
});

// --- token-endpoint statistics and programmable faults -------------------------------------
let stats = {};
let faults = [];

function countTokenRequest(clientId, grantType, status) {
  const entry = (stats[clientId] ??= { requests: 0, errors: 0, byGrantType: {} });
  entry.requests += 1;
  if (status >= 400) entry.errors += 1;
  entry.byGrantType[grantType] = (entry.byGrantType[grantType] ?? 0) + 1;
}

function clientIdOf(ctx, body) {
  const basic = /^Basic (.+)$/i.exec(ctx.get('authorization'));
  if (basic) return decodeURIComponent(Buffer.from(basic[1], 'base64').toString().split(':')[0]);
  return body.client_id ?? 'unknown';
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

async function handleTestEndpoint(ctx) {
  if (ctx.method === 'GET' && ctx.path === '/test/stats') {
    ctx.body = { token: stats };
  } else if (ctx.method === 'POST' && ctx.path === '/test/stats/reset') {
    stats = {};
    ctx.body = { ok: true };
  } else if (ctx.method === 'POST' && ctx.path === '/test/faults') {
    const fault = JSON.parse((await readBody(ctx.req)) || '{}');
    faults.push({ clientId: fault.clientId, status: fault.status ?? 503, error: fault.error ?? 'temporarily_unavailable', times: fault.times ?? 1 });
    ctx.body = { ok: true };
  } else {
    ctx.status = 404;
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/')) return handleTestEndpoint(ctx);
  if (!(ctx.method === 'POST' && ctx.path === '/token')) return next();

  // Read the body here to learn client and grant type even for requests the provider rejects;
  // oidc-provider accepts a pre-read body via req.body (it logs a one-time notice about it).
  const raw = await readBody(ctx.req);
  ctx.req.body = raw;
  const body = parseQuery(raw);
  const clientId = clientIdOf(ctx, body);
  const fault = faults.find((f) => f.times > 0 && (!f.clientId || f.clientId === clientId));
  if (fault) {
    fault.times -= 1;
    faults = faults.filter((f) => f.times > 0);
    ctx.status = fault.status;
    ctx.body = { error: fault.error, error_description: 'fault injected by the test' };
  } else {
    await next();
  }
  countTokenRequest(clientId, String(body.grant_type ?? 'none'), ctx.status);
});

const server = createServer(provider.callback());
server.listen(port, host, () => {
  process.stdout.write(`READY ${JSON.stringify({ issuer, pid: process.pid })}\n`);
});

// Die with the parent: the harness holds our stdin open, so EOF means the test run is over.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
