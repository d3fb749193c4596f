import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { BASE_SCOPES, PROVIDERS, TOKEN_ENDPOINT_AUTH_METHODS, providerPresets, type BaseScope, type ProviderName, type TokenEndpointAuthMethod } from './provider-presets';

/** One server the admin UI pre-fills, in the mailbox settings' own field names. */
export class ServerPresetResponse {
  @ApiProperty({ example: 'imaps' }) protocol: string;
  @ApiPropertyOptional() host?: string;
  @ApiPropertyOptional() port?: number;
  @ApiPropertyOptional({ description: 'outgoing smtp: STARTTLS required' }) tls?: boolean;
  @ApiPropertyOptional({ description: 'Graph base URL or EWS endpoint' }) connectUrl?: string;
}

export class BaseScopePresetResponse {
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: [ServerPresetResponse] }) incoming: ServerPresetResponse[];
  @ApiProperty({ type: [ServerPresetResponse] }) outgoing: ServerPresetResponse[];
}

export class RefreshTokenLifetimeResponse {
  @ApiProperty({ nullable: true, type: Number, description: 'Days without use after which the provider drops a refresh token' }) idleDays: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Days after issue after which a refresh token dies (rotation renews it)' }) maxAgeDays: number | null;
  @ApiProperty() note: string;
}

@ApiExtraModels(BaseScopePresetResponse)
export class ProviderPresetResponse {
  @ApiProperty({ enum: PROVIDERS }) provider: ProviderName;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String, description: '{authority} is replaced by the app’s authority' }) authorizeUrl: string | null;
  @ApiProperty({ nullable: true, type: String }) tokenUrl: string | null;
  @ApiPropertyOptional({ type: [String], description: 'outlook: the well-known authorities (a tenant id works too)' }) authorities?: string[];
  @ApiPropertyOptional() defaultAuthority?: string;
  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS }) tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Extra authorize parameters (Gmail: access_type=offline, prompt=consent)' })
  authorizeParams: Record<string, string>;
  @ApiProperty({ type: [String], description: 'Added to read the user from the ID token' }) identityScopes: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(BaseScopePresetResponse) },
    description: `Per baseScope (${BASE_SCOPES.join(', ')}): scopes and the servers the UI pre-fills`,
  })
  baseScopes: Partial<Record<BaseScope, BaseScopePresetResponse>>;
  @ApiProperty({ type: RefreshTokenLifetimeResponse }) refreshToken: RefreshTokenLifetimeResponse;
}

export class ProviderList {
  @ApiProperty({ type: [ProviderPresetResponse] }) providers: ProviderPresetResponse[];
}

export function renderProviders(): ProviderList {
  const presets = providerPresets();
  return {
    providers: PROVIDERS.map((provider) => {
      const p = presets[provider];
      return {
        provider,
        name: p.name,
        authorizeUrl: p.authorizeUrl,
        tokenUrl: p.tokenUrl,
        ...(p.authorities ? { authorities: p.authorities, defaultAuthority: p.defaultAuthority } : {}),
        tokenEndpointAuthMethod: p.tokenEndpointAuthMethod,
        authorizeParams: p.authorizeParams,
        identityScopes: p.identityScopes,
        baseScopes: p.baseScopes,
        refreshToken: p.refreshToken,
      };
    }),
  };
}
