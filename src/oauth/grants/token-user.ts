/**
 * Who a grant belongs to, for the mailbox summary, the token API's `user` and the XOAUTH2
 * user name. The ID token's payload is decoded WITHOUT checking its signature: it came
 * straight from the token endpoint over TLS, in answer to our own authenticated request, which
 * OIDC Core §3.1.3.7 (6) accepts in place of signature validation; and the value is only shown
 * and used as a login name the mail server checks against the token itself, never to grant
 * access to anything.
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** First non-empty string among `fields` of `source`. */
export function firstString(source: Record<string, unknown> | null | undefined, fields: readonly string[]): string | null {
  for (const field of fields) {
    const value = source?.[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}

/** ID token claims naming the account: OIDC `email`, Microsoft's `preferred_username` and `upn`. */
export const ID_TOKEN_USER_CLAIMS = ['email', 'preferred_username', 'upn'] as const;
const TOKEN_RESPONSE_USER_FIELDS = ['email', 'user', 'username', 'user_email'] as const;

export interface UserSources {
  idToken: string | null;
  userinfo: Record<string, unknown> | null;
  userinfoFields: readonly string[];
  tokenResponse: Record<string, unknown>;
  sideUsername: string | null;
}

/**
 * The account, most reliable source first: the ID token's address claims, the userinfo
 * answer, the token response, the side's configured username; an ID token `sub` (opaque, but
 * better than nothing) only when nothing else names the account.
 */
export function resolveUser(sources: UserSources): string | null {
  const claims = sources.idToken ? decodeJwtPayload(sources.idToken) : null;
  return (
    firstString(claims, ID_TOKEN_USER_CLAIMS) ??
    firstString(sources.userinfo, sources.userinfoFields) ??
    firstString(sources.tokenResponse, TOKEN_RESPONSE_USER_FIELDS) ??
    (sources.sideUsername?.trim() || null) ??
    firstString(claims, ['sub'])
  );
}
