import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { BASE_SCOPES, PROVIDERS, TOKEN_ENDPOINT_AUTH_METHODS, type BaseScope, type ProviderName, type TokenEndpointAuthMethod } from '../providers/provider-presets';

const MICROSOFT_NOTE =
  'Microsoft: tokens for IMAP/POP/SMTP/EWS scopes work only for those protocols; extra Microsoft Graph scopes ' +
  '(https://graph.microsoft.com/…, or bare names like Calendars.Read) are accepted only with baseScope graph, and ' +
  'IMAP/POP/SMTP/EWS scopes not with baseScope graph (400 naming the field).';

const AUTH_METHOD_NOTE =
  'How the client authenticates at the token endpoint (RFC 6749 §2.3): client_secret_post (form body), ' +
  'client_secret_basic (HTTP Basic), or none (public client, PKCE only, no secret). Default: the provider preset ' +
  "(Mail.ru: client_secret_basic, others: client_secret_post). An addition to the contract.";

export class CreateOAuthAppDto {
  @ApiPropertyOptional({ example: 'Contoso M365', maxLength: 200, description: 'Default: the provider’s name' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiProperty({ enum: PROVIDERS })
  @IsIn(PROVIDERS)
  provider: ProviderName;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  clientId: string;

  @ApiPropertyOptional({ nullable: true, writeOnly: true, description: 'Write-only: responses carry clientSecretSet. Required unless tokenEndpointAuthMethod is none.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  clientSecret?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'date-time', description: 'Within 30 days of it the app reports clientSecretExpiring and /health warns' })
  @IsOptional()
  @IsISO8601({ strict: true })
  clientSecretExpiresAt?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    example: 'https://helpdesk.example.com/oauth/callback',
    description: 'Default: DESKMAIL_PUBLIC_URL (or the URL the admin uses) + /oauth/callback. https, or http for loopback hosts.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirectUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, example: 'organizations', description: 'outlook only: common (default), consumers, organizations or a tenant id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  authority?: string | null;

  @ApiPropertyOptional({ enum: BASE_SCOPES, default: 'imap', description: `imap (IMAP/POP/SMTP), graph (Mail.ReadWrite, Mail.Send) or ews. ${MICROSOFT_NOTE}` })
  @IsOptional()
  @IsIn(BASE_SCOPES)
  baseScope?: BaseScope;

  @ApiPropertyOptional({ nullable: true, description: 'Overrides the preset; required for custom. https (http only for loopback). {authority} is substituted.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  authorizeUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Overrides the preset; required for custom. https (http only for loopback).' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  tokenUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, type: [String], description: 'Replaces the preset’s base scopes; required for custom' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  scopes?: string[] | null;

  @ApiPropertyOptional({ type: [String], example: ['https://graph.microsoft.com/Calendars.Read'], description: `Appended to the base scopes. ${MICROSOFT_NOTE}` })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  additionalScopes?: string[];

  @ApiPropertyOptional({ enum: TOKEN_ENDPOINT_AUTH_METHODS, nullable: true, description: AUTH_METHOD_NOTE })
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;

  @ApiPropertyOptional({ default: true, description: 'A disabled app cannot start new consents; existing grants keep refreshing' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/**
 * PATCH: every field of the create DTO, optional. null clears an override (back to the
 * preset); fields that have no preset to go back to cannot be cleared (NEVER_CLEARED).
 */
export class UpdateOAuthAppDto extends PartialType(CreateOAuthAppDto) {}

/** Fields a PATCH may leave out but not set to null: there is no preset value to fall back to. */
export const NEVER_CLEARED = ['name', 'provider', 'clientId', 'baseScope', 'additionalScopes', 'enabled'] as const;
