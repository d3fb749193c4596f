/** Everything an authorization request (RFC 6749 §4.1.1) carries. */
export interface AuthorizeRequest {
  /** The effective authorize URL (Microsoft: the authority already substituted). */
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
  /** Provider extras, e.g. Google's access_type=offline and prompt=consent. */
  extraParams: Record<string, string>;
  /** The mailbox account, so the provider pre-selects it (OIDC Core §3.1.2.1 login_hint). */
  loginHint?: string | null;
}

/**
 * Builds the URL the admin's browser opens. Query parameters already in the configured URL are
 * kept (RFC 6749 §3.1: the endpoint URI MAY include a query component, which MUST be retained).
 */
export function buildAuthorizeUrl(request: AuthorizeRequest): string {
  const url = new URL(request.authorizeUrl);
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', request.clientId);
  params.set('redirect_uri', request.redirectUri);
  // RFC 6749 §3.3: scopes are one space-delimited parameter.
  params.set('scope', request.scopes.join(' '));
  params.set('state', request.state);
  params.set('code_challenge', request.codeChallenge);
  params.set('code_challenge_method', 'S256');
  for (const [name, value] of Object.entries(request.extraParams)) params.set(name, value);
  if (request.loginHint) params.set('login_hint', request.loginHint);
  return url.toString();
}

/**
 * OIDC Core §11: an OpenID request for offline_access (a refresh token) must carry
 * prompt=consent, or a standards-following server (oidc-provider among them) drops the scope.
 * Only for custom servers: the presets know their providers (Google wants it and has it;
 * Microsoft must NOT get it — it would demand user consent where an admin already consented
 * for the tenant, AADSTS90094 for users who may not consent).
 */
export function offlineAccessParams(provider: string, scopes: string[]): Record<string, string> {
  return provider === 'custom' && scopes.includes('openid') && scopes.includes('offline_access') ? { prompt: 'consent' } : {};
}
