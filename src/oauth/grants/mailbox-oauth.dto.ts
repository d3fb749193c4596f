import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { SIDES, type Side } from '../../mailboxes/mailbox.types';
import { PROVIDERS, type ProviderName } from '../providers/provider-presets';

export class AuthorizeDto {
  @ApiPropertyOptional({ enum: SIDES, default: 'incoming', description: 'The side to authorize (outgoing with sameAsIncoming uses the incoming grant)' })
  @IsOptional()
  @IsIn(SIDES)
  side: Side = 'incoming';
}

export class AuthorizeResponse {
  @ApiProperty({ description: 'Open in a popup: response_type=code, client_id, redirect_uri, scope, a single-use state (10 min), PKCE S256' })
  url: string;
}

export class RegisterTokensDto {
  @ApiPropertyOptional({ enum: SIDES, default: 'incoming' })
  @IsOptional()
  @IsIn(SIDES)
  side: Side = 'incoming';

  @ApiProperty({ writeOnly: true, description: 'Stored encrypted; never returned by any endpoint but the token API' })
  @IsString()
  @MinLength(1)
  @MaxLength(16_384)
  accessToken: string;

  @ApiPropertyOptional({ writeOnly: true, nullable: true, description: 'Without it the grant cannot be refreshed' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(16_384)
  refreshToken?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'date-time', description: 'When the access token expires' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'The account (default: the side’s username)' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  user?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'The scopes the tokens carry (default: the app’s scopes). An addition to the contract.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  scopes?: string[];
}

export class TokenQuery {
  @ApiPropertyOptional({ enum: SIDES, default: 'incoming' })
  @IsOptional()
  @IsIn(SIDES)
  side: Side = 'incoming';
}

export class RefreshErrorResponse {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

/** api.md `oauth2` object of a mailbox side, plus additive lifetime fields. */
export class GrantSummaryResponse {
  @ApiProperty({ nullable: true, type: String }) user: string | null;
  @ApiProperty({ type: [String], description: 'Scopes granted' }) scopes: string[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Access token expiry' }) expires: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastRefreshAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) refreshTokenIssuedAt: string | null;
  @ApiProperty({ description: 'Whether the last refresh returned a new refresh token' }) refreshTokenRotated: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'The next scheduled (daily) refresh, or the end of a failure backoff' }) nextRefreshAt: string | null;
  @ApiProperty({ description: 'invalid_grant seen: a new consent is needed' }) needsReauthorization: boolean;
  @ApiProperty({ nullable: true, type: RefreshErrorResponse }) lastRefreshError: RefreshErrorResponse | null;
  @ApiProperty({ nullable: true, type: String, description: 'What needs attention: re-authorization, failing refreshes, an expiring client secret or refresh token' })
  warning: string | null;
}

export class RegisterTokensResponse {
  @ApiProperty() mailbox: string;
  @ApiProperty({ enum: SIDES }) side: Side;
  @ApiProperty({ type: GrantSummaryResponse }) oauth2: GrantSummaryResponse;
}

export class OAuthTokenResponse {
  @ApiProperty({ description: 'Mailbox id' }) mailbox: string;
  @ApiProperty({ nullable: true, type: String }) user: string | null;
  @ApiProperty({ description: 'A valid access token (refreshed first when it expires within 5 minutes)' }) accessToken: string;
  @ApiProperty({ enum: PROVIDERS }) provider: ProviderName;
  @ApiProperty({ type: [String], description: 'The scopes actually granted' }) registeredScopes: string[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expires: string | null;
}

export class ReconnectResponse {
  @ApiProperty({ example: true }) reconnect: boolean;
}
