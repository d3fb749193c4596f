import type { BaseScope } from './provider-presets';

/**
 * Microsoft's identity platform issues an access token for ONE resource: a token for the
 * IMAP/POP/SMTP/EWS scopes (Exchange Online, outlook.office.com) is refused by Microsoft
 * Graph and the other way round. So extra Graph scopes (Calendars.Read, Files.Read, …) are
 * only useful with baseScope `graph` (design.md "Provider presets"; EmailEngine's docs say
 * the same). We refuse the mix with a 400 instead of letting the admin find out at runtime.
 */
export type MicrosoftResource = 'oidc' | 'graph' | 'exchange' | 'other';

/** OpenID Connect scopes: valid next to any one resource's scopes. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const GRAPH_PREFIXES = ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000/'];
const EXCHANGE_PREFIXES = ['https://outlook.office.com/', 'https://outlook.office365.com/', '00000002-0000-0ff1-ce00-000000000000/'];

export function microsoftResourceOf(scope: string): MicrosoftResource {
  const lower = scope.toLowerCase();
  if (OIDC_SCOPES.has(lower)) return 'oidc';
  if (GRAPH_PREFIXES.some((p) => lower.startsWith(p))) return 'graph';
  if (EXCHANGE_PREFIXES.some((p) => lower.startsWith(p))) return 'exchange';
  // A bare permission name ("Calendars.Read") means Microsoft Graph: Graph is the default resource.
  if (!lower.includes('://') && !lower.includes('/')) return 'graph';
  return 'other';
}

/** Why `scope` cannot go with `baseScope` on a Microsoft app, or null when it can. */
export function microsoftScopeProblem(scope: string, baseScope: BaseScope): string | null {
  const resource = microsoftResourceOf(scope);
  const wanted = baseScope === 'graph' ? 'graph' : 'exchange';
  if (resource === 'oidc' || resource === wanted) return null;
  if (resource === 'graph') {
    return (
      `contains the Microsoft Graph scope ${scope}: Graph scopes work only with baseScope graph ` +
      `(Microsoft tokens for IMAP/POP/SMTP/EWS scopes are valid only for IMAP/POP/SMTP/EWS)`
    );
  }
  if (resource === 'exchange') {
    return `contains the Exchange (IMAP/POP/SMTP/EWS) scope ${scope}: with baseScope graph only Graph scopes work (one Microsoft token serves one resource)`;
  }
  return `contains ${scope}, a scope of another resource: a Microsoft token serves one resource, so only ${wanted === 'graph' ? 'Graph' : 'IMAP/POP/SMTP/EWS'} and OpenID scopes can be added`;
}
