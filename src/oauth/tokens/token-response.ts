import { safeExcerpt } from './redact';

/** A successful token response (RFC 6749 §5.1), normalised. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** Seconds; null when the server did not say. */
  expiresIn: number | null;
  /** Granted scopes, when the server said (it must if they differ from the request, §5.1). */
  scopes: string[] | null;
  idToken: string | null;
  /** Non-secret extras some providers add (e.g. a user field); tokens removed. */
  extras: Record<string, unknown>;
}

/**
 * Why a token request failed, sorted by what to do about it:
 * - invalidGrant: the grant is dead (revoked, expired, password changed); only a new consent helps.
 * - clientRejected: the app's credentials are wrong or expired; the admin fixes the app.
 * - rejected: any other OAuth error answer; retrying the same request will not help now.
 * - transient: 5xx, 429, timeouts, network errors, empty or non-JSON bodies; retry with backoff.
 */
export type FailureKind = 'invalidGrant' | 'clientRejected' | 'rejected' | 'transient';

export interface TokenFailure {
  kind: FailureKind;
  status: number | null;
  error: string | null;
  /** What happened, safe to log and show (secrets removed, bounded). */
  summary: string;
}

export type TokenOutcome = { ok: true; tokens: TokenSet } | { ok: false; failure: TokenFailure };

// RFC 6749 §5.2 error codes after which only a new consent helps. OIDC Core §3.1.2.6 adds
// interaction_required/login_required/consent_required, which Microsoft returns on refresh when
// MFA or conditional-access policy changed (AADSTS50076, AADSTS50079).
const NEEDS_CONSENT = new Set(['invalid_grant', 'interaction_required', 'login_required', 'consent_required']);
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client']);
const SECRET_KEYS = new Set(['access_token', 'refresh_token', 'id_token', 'token']);

/** Classifies one HTTP answer of a token endpoint. Pure, so the whole table is unit-tested. */
export function parseTokenResponse(status: number, contentType: string | null, body: string): TokenOutcome {
  const what = `HTTP ${status}`;
  const fail = (kind: FailureKind, summary: string, error: string | null = null): TokenOutcome => ({ ok: false, failure: { kind, status, error, summary } });
  if (body.trim() === '') return fail('transient', `${what} with an empty body`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const type = (contentType ?? 'no content type').split(';')[0];
    return fail('transient', `${what} with a non-JSON body (${type}): ${safeExcerpt(body)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('transient', `${what} with a JSON body that is not an object: ${safeExcerpt(body)}`);
  const data = json as Record<string, unknown>;
  if (status >= 200 && status < 300) {
    if (typeof data.access_token !== 'string' || data.access_token === '') return fail('transient', `${what} without an access_token: ${safeExcerpt(body)}`);
    return { ok: true, tokens: toTokenSet(data) };
  }
  const error = typeof data.error === 'string' ? data.error : null;
  const description = typeof data.error_description === 'string' ? `: ${safeExcerpt(data.error_description)}` : '';
  const summary = `${what}${error ? ` ${safeExcerpt(error, 60)}` : ''}${description}`;
  if (status >= 500 || status === 429 || status === 408) return fail('transient', summary, error);
  if (error && NEEDS_CONSENT.has(error)) return fail('invalidGrant', summary, error);
  if (error && CLIENT_ERRORS.has(error)) return fail('clientRejected', summary, error);
  if (!error) return fail('transient', `${what} without an OAuth error: ${safeExcerpt(body)}`);
  return fail('rejected', summary, error);
}

function toTokenSet(data: Record<string, unknown>): TokenSet {
  const expiresIn = Number(data.expires_in);
  const scope = typeof data.scope === 'string' ? data.scope.split(' ').filter(Boolean) : null;
  const extras: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!SECRET_KEYS.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) extras[key] = value;
  }
  return {
    accessToken: data.access_token as string,
    refreshToken: typeof data.refresh_token === 'string' && data.refresh_token !== '' ? data.refresh_token : null,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : null,
    scopes: scope && scope.length ? scope : null,
    idToken: typeof data.id_token === 'string' ? data.id_token : null,
    extras,
  };
}
