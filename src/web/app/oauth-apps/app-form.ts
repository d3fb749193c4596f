import type { BaseScope, OAuthApp, OAuthAppInput, ProviderName, ProviderPreset, TokenEndpointAuthMethod } from '../api/types';
import { blankToNull } from '../components/form-errors';
import { fromDateInput, toDateInput } from '../components/format';

/** The OAuth2 application form, in the API's field names so 400 messages land on their fields. */
export interface AppFormValues {
  name: string;
  provider: ProviderName;
  clientId: string;
  /** Write-only: blank keeps the stored secret. */
  clientSecret: string;
  clientSecretExpiresAt: string;
  redirectUrl: string;
  authority: string;
  baseScope: BaseScope;
  /** UI only: for a preset, whether the URLs and scopes below replace the preset's. */
  override: boolean;
  authorizeUrl: string;
  tokenUrl: string;
  scopes: string[];
  additionalScopes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | '';
  enabled: boolean;
}

export const BASE_SCOPE_LABELS: Record<BaseScope, string> = {
  imap: 'IMAP, POP and SMTP',
  graph: 'Microsoft Graph API',
  ews: 'Exchange Web Services (EWS)',
};

export const AUTH_METHOD_LABELS: Record<TokenEndpointAuthMethod, string> = {
  client_secret_post: 'Client secret in the request body (client_secret_post)',
  client_secret_basic: 'Client secret as HTTP Basic (client_secret_basic)',
  none: 'No secret: public client with PKCE (none)',
};

export function emptyAppForm(): AppFormValues {
  return {
    name: '',
    provider: 'gmail',
    clientId: '',
    clientSecret: '',
    clientSecretExpiresAt: '',
    redirectUrl: '',
    authority: '',
    baseScope: 'imap',
    override: false,
    authorizeUrl: '',
    tokenUrl: '',
    scopes: [],
    additionalScopes: [],
    tokenEndpointAuthMethod: '',
    enabled: true,
  };
}

export function appToForm(app: OAuthApp): AppFormValues {
  const overrides = app.overrides;
  const overridden = app.provider === 'custom' || Boolean(overrides && (overrides.authorizeUrl || overrides.tokenUrl || overrides.scopes));
  return {
    name: app.name,
    provider: app.provider,
    clientId: app.clientId,
    clientSecret: '',
    clientSecretExpiresAt: toDateInput(app.clientSecretExpiresAt),
    redirectUrl: app.redirectUrlConfigured === false ? '' : app.redirectUrl,
    authority: app.provider === 'outlook' ? (app.authority ?? '') : '',
    baseScope: app.baseScope,
    override: overridden,
    authorizeUrl: overrides?.authorizeUrl ?? (overridden ? app.authorizeUrl : ''),
    tokenUrl: overrides?.tokenUrl ?? (overridden ? app.tokenUrl : ''),
    scopes: overrides?.scopes ?? (app.provider === 'custom' ? app.scopes.filter((s) => !app.additionalScopes.includes(s)) : []),
    additionalScopes: app.additionalScopes,
    tokenEndpointAuthMethod: overrides?.tokenEndpointAuthMethod ?? '',
    enabled: app.enabled,
  };
}

/** The preset's URLs with the authority put in (outlook), for display and as override defaults. */
export function presetUrls(preset: ProviderPreset | undefined, authority: string): { authorizeUrl: string; tokenUrl: string } {
  const fill = (url: string | null) => (url ?? '').replace('{authority}', authority || preset?.defaultAuthority || 'common');
  return { authorizeUrl: fill(preset?.authorizeUrl ?? null), tokenUrl: fill(preset?.tokenUrl ?? null) };
}

export function presetScopes(preset: ProviderPreset | undefined, baseScope: BaseScope): string[] {
  return preset?.baseScopes[baseScope]?.scopes ?? preset?.baseScopes.imap?.scopes ?? [];
}

/** The base scopes this provider offers (outlook: imap, graph, ews). */
export function baseScopesOf(preset: ProviderPreset | undefined): BaseScope[] {
  const offered = Object.keys(preset?.baseScopes ?? {}) as BaseScope[];
  return offered.length ? offered : ['imap'];
}

/** Form → request body. Editing sends nulls to clear overrides; a blank secret is left out (kept). */
export function formToInput(values: AppFormValues, editing: boolean): OAuthAppInput {
  const custom = values.provider === 'custom';
  const overriding = custom || values.override;
  const input: OAuthAppInput = {
    name: values.name.trim() || undefined,
    provider: values.provider,
    clientId: values.clientId.trim(),
    redirectUrl: blankToNull(values.redirectUrl),
    baseScope: values.provider === 'outlook' ? values.baseScope : 'imap',
    additionalScopes: values.additionalScopes,
    clientSecretExpiresAt: fromDateInput(values.clientSecretExpiresAt),
    tokenEndpointAuthMethod: values.tokenEndpointAuthMethod || null,
    enabled: values.enabled,
    authorizeUrl: overriding ? blankToNull(values.authorizeUrl) : null,
    tokenUrl: overriding ? blankToNull(values.tokenUrl) : null,
    scopes: overriding && (custom || values.scopes.length) ? values.scopes : null,
  };
  if (values.provider === 'outlook') input.authority = blankToNull(values.authority);
  else if (editing) input.authority = null;
  if (values.clientSecret) input.clientSecret = values.clientSecret;
  if (!editing) {
    // A new app: leave out what is empty rather than sending nulls.
    for (const key of Object.keys(input) as Array<keyof OAuthAppInput>) if (input[key] === null) delete input[key];
  }
  return input;
}
