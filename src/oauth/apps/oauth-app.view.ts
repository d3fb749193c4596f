import { ApiProperty } from '@nestjs/swagger';
import { BASE_SCOPES, PROVIDERS, TOKEN_ENDPOINT_AUTH_METHODS, type BaseScope, type ProviderName, type TokenEndpointAuthMethod } from '../providers/provider-presets';
import type { OAuthApp } from './oauth-app.entity';
import { clientSecretExpiring, effectiveApp, type AppSettings } from './oauth-app.rules';

/** The admin's explicit overrides (null = the preset's value), so an edit form knows what to clear. */
export class OAuthAppOverrides {
  @ApiProperty({ nullable: true, type: String }) authorizeUrl: string | null;
  @ApiProperty({ nullable: true, type: String }) tokenUrl: string | null;
  @ApiProperty({ nullable: true, type: [String] }) scopes: string[] | null;
  @ApiProperty({ nullable: true, enum: TOKEN_ENDPOINT_AUTH_METHODS }) tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
}

/** An OAuth2 app as the API shows it: effective URLs and scopes, never the secret. */
export class OAuthAppResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: PROVIDERS }) provider: ProviderName;
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'Whether a client secret is stored (the secret itself is write-only)' }) clientSecretSet: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) clientSecretExpiresAt: string | null;
  @ApiProperty({ description: 'True within 30 days of clientSecretExpiresAt (and after it)' }) clientSecretExpiring: boolean;
  @ApiProperty({ description: 'The redirect URL to register at the provider (configured, or the default)' }) redirectUrl: string;
  @ApiProperty({ description: 'False when redirectUrl is the default rather than configured' }) redirectUrlConfigured: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'outlook: the effective authority; others null' }) authority: string | null;
  @ApiProperty({ enum: BASE_SCOPES }) baseScope: BaseScope;
  @ApiProperty({ description: 'Effective authorize URL (preset or override, authority substituted)' }) authorizeUrl: string;
  @ApiProperty({ description: 'Effective token URL' }) tokenUrl: string;
  @ApiProperty({ type: [String], description: 'Effective scopes: base + identity + additional' }) scopes: string[];
  @ApiProperty({ type: [String] }) additionalScopes: string[];
  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS, description: 'Effective token endpoint auth method' }) tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  @ApiProperty({ type: OAuthAppOverrides }) overrides: OAuthAppOverrides;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class OAuthAppList {
  @ApiProperty({ type: [OAuthAppResponse] }) apps: OAuthAppResponse[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

export function settingsOf(app: OAuthApp): AppSettings {
  return {
    provider: app.provider,
    clientSecretSet: Boolean(app.clientSecretSealed),
    redirectUrl: app.redirectUrl,
    authority: app.authority,
    baseScope: app.baseScope,
    authorizeUrl: app.authorizeUrl,
    tokenUrl: app.tokenUrl,
    scopes: app.scopes,
    additionalScopes: app.additionalScopes,
    tokenEndpointAuthMethod: app.tokenEndpointAuthMethod,
  };
}

/** `${base}/oauth/callback`: where GET /oauth/callback is served. */
export function defaultRedirectUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/oauth/callback`;
}

/** The redirect URL an app uses: its own, or the default under `baseUrl` (public URL or request origin). */
export function redirectUrlOf(app: Pick<OAuthApp, 'redirectUrl'>, baseUrl: string): string {
  return app.redirectUrl ?? defaultRedirectUrl(baseUrl);
}

export function renderApp(app: OAuthApp, baseUrl: string, now = new Date()): OAuthAppResponse {
  const effective = effectiveApp(settingsOf(app));
  return {
    id: app.id,
    name: app.name,
    provider: app.provider,
    clientId: app.clientId,
    clientSecretSet: Boolean(app.clientSecretSealed),
    clientSecretExpiresAt: app.clientSecretExpiresAt?.toISOString() ?? null,
    clientSecretExpiring: clientSecretExpiring(app.clientSecretExpiresAt, now),
    redirectUrl: redirectUrlOf(app, baseUrl),
    redirectUrlConfigured: app.redirectUrl !== null,
    authority: effective.authority,
    baseScope: app.baseScope,
    authorizeUrl: effective.authorizeUrl,
    tokenUrl: effective.tokenUrl,
    scopes: effective.scopes,
    additionalScopes: app.additionalScopes,
    tokenEndpointAuthMethod: effective.tokenEndpointAuthMethod,
    overrides: { authorizeUrl: app.authorizeUrl, tokenUrl: app.tokenUrl, scopes: app.scopes, tokenEndpointAuthMethod: app.tokenEndpointAuthMethod },
    enabled: app.enabled,
    createdAt: app.createdAt.toISOString(),
    updatedAt: app.updatedAt.toISOString(),
  };
}
