import { InvalidInputError } from '../../core/errors';
import { microsoftScopeProblem } from '../providers/microsoft-scopes';
import { presetOf, type BaseScope, type ProviderName, type TokenEndpointAuthMethod } from '../providers/provider-presets';

/** An app's settings as they will be stored (create, or an existing app merged with a PATCH). */
export interface AppSettings {
  provider: ProviderName;
  clientSecretSet: boolean;
  redirectUrl: string | null;
  authority: string | null;
  baseScope: BaseScope;
  authorizeUrl: string | null;
  tokenUrl: string | null;
  scopes: string[] | null;
  additionalScopes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
}

/** What the app actually uses: presets filled in, overrides applied, `{authority}` substituted. */
export interface EffectiveApp {
  authority: string | null;
  authorizeUrl: string;
  tokenUrl: string;
  /** Base (preset or override) + identity + additional scopes, without duplicates, in that order. */
  scopes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  authorizeParams: Record<string, string>;
  sendScopeOnRefresh: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
// A tenant id (GUID) or a verified domain: letters, digits, dots and dashes only, so nothing can
// be smuggled into the URL path it is substituted into.
const AUTHORITY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts an http:// URL may name (RFC 8252 §8.3). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why `value` is not acceptable as an authorization-server endpoint or redirect URL, or null.
 * https only (RFC 6749 §3.1 and §3.1.2.1 require TLS), http for loopback hosts (tests, a local
 * authorization server); no fragment (RFC 6749 §3.1, §3.1.2) and no credentials in the URL.
 */
export function endpointUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.replaceAll('{authority}', 'common'));
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'must use https (http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (url.hash) return 'must not contain a fragment (#…)';
  if (url.username || url.password) return 'must not contain credentials';
  return null;
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Checks the rules that span fields; each broken rule is a 400 naming its field. */
export function checkAppSettings(app: AppSettings): void {
  const preset = presetOf(app.provider);
  if (app.provider === 'custom') {
    for (const field of ['authorizeUrl', 'tokenUrl'] as const) {
      if (!app[field]) throw new InvalidInputError(field, 'is required for provider custom');
    }
    if (!app.scopes?.length) throw new InvalidInputError('scopes', 'is required for provider custom (at least one scope)');
  }
  for (const field of ['authorizeUrl', 'tokenUrl', 'redirectUrl'] as const) {
    const value = app[field];
    const problem = value ? endpointUrlProblem(value) : null;
    if (problem) throw new InvalidInputError(field, problem);
    if (field === 'redirectUrl' && value?.includes('{authority}')) throw new InvalidInputError(field, 'must not contain {authority}');
  }
  if (app.authority !== null && app.provider !== 'outlook') throw new InvalidInputError('authority', 'is only for provider outlook');
  if (app.authority !== null && !AUTHORITY_PATTERN.test(app.authority)) {
    throw new InvalidInputError('authority', 'must be common, consumers, organizations or a tenant id (GUID or domain)');
  }
  if (!preset.baseScopes[app.baseScope]) {
    throw new InvalidInputError('baseScope', `${app.baseScope} is not offered by provider ${app.provider} (offered: ${Object.keys(preset.baseScopes).join(', ')})`);
  }
  for (const field of ['scopes', 'additionalScopes'] as const) {
    for (const scope of app[field] ?? []) {
      if (!SCOPE_TOKEN.test(scope)) throw new InvalidInputError(field, `contains ${JSON.stringify(scope)}, which is not a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)`);
      const problem = app.provider === 'outlook' ? microsoftScopeProblem(scope, app.baseScope) : null;
      if (problem) throw new InvalidInputError(field, problem);
    }
  }
  const method = app.tokenEndpointAuthMethod ?? preset.tokenEndpointAuthMethod;
  if (method !== 'none' && !app.clientSecretSet) {
    throw new InvalidInputError('clientSecret', `is required with tokenEndpointAuthMethod ${method} (use none for a public client with PKCE only)`);
  }
}

export function effectiveApp(app: AppSettings): EffectiveApp {
  const preset = presetOf(app.provider);
  const authority = app.provider === 'outlook' ? (app.authority ?? preset.defaultAuthority ?? 'common') : null;
  const substitute = (url: string): string => (authority ? url.replaceAll('{authority}', encodeURIComponent(authority)) : url);
  const base = app.scopes ?? preset.baseScopes[app.baseScope]?.scopes ?? [];
  return {
    authority,
    authorizeUrl: substitute(app.authorizeUrl ?? preset.authorizeUrl ?? ''),
    tokenUrl: substitute(app.tokenUrl ?? preset.tokenUrl ?? ''),
    scopes: [...new Set([...base, ...preset.identityScopes, ...app.additionalScopes])],
    tokenEndpointAuthMethod: app.tokenEndpointAuthMethod ?? preset.tokenEndpointAuthMethod,
    authorizeParams: preset.authorizeParams,
    sendScopeOnRefresh: preset.sendScopeOnRefresh,
  };
}

/** Days before `clientSecretExpiresAt` when the app and /health start warning (issue #4: 30). */
export const CLIENT_SECRET_WARNING_DAYS = 30;

export function clientSecretExpiring(expiresAt: Date | null, now = new Date()): boolean {
  return expiresAt !== null && expiresAt.getTime() - now.getTime() <= CLIENT_SECRET_WARNING_DAYS * 86_400_000;
}
