import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { ForbiddenError } from '../../core/errors';
import { ConsentService } from '../consent/consent.service';
import { OAuthMetrics } from '../oauth-metrics';
import { serviceBaseUrl } from '../service-url';
import { AuthorizeDto, AuthorizeResponse, OAuthTokenResponse, ReconnectResponse, RegisterTokensDto, RegisterTokensResponse, TokenQuery } from './mailbox-oauth.dto';
import { MailboxOAuthService } from './mailbox-oauth.service';
import { OAuthTokenService } from './oauth-token.service';

@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('v1/mailboxes')
export class MailboxOAuthController {
  constructor(
    private readonly consent: ConsentService,
    private readonly tokens: OAuthTokenService,
    private readonly mailboxOAuth: MailboxOAuthService,
    private readonly metrics: OAuthMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/authorize')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start the OAuth2 consent of a side: the authorize URL to open (the side needs authType oauth2 and an app)' })
  @ApiOkResponse({ type: AuthorizeResponse })
  async authorize(@Param('id') id: string, @Body() body: AuthorizeDto, @Req() request: Request): Promise<AuthorizeResponse> {
    return this.consent.start(id, body.side, serviceBaseUrl(this.config, request));
  }

  @Put(':id/oauth2-tokens')
  @ApiOperation({ summary: 'Register tokens obtained elsewhere for a side' })
  @ApiOkResponse({ type: RegisterTokensResponse })
  async registerTokens(@Param('id') id: string, @Body() body: RegisterTokensDto): Promise<RegisterTokensResponse> {
    return { mailbox: id, side: body.side, oauth2: await this.mailboxOAuth.register(id, body) };
  }

  @Get(':id/oauth-token')
  // RFC 6749 §5.1: responses carrying tokens must not be cached.
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'A valid access token for other applications (only with DESKMAIL_ENABLE_OAUTH_TOKENS_API=true)' })
  @ApiOkResponse({ type: OAuthTokenResponse })
  @ApiForbiddenResponse({ description: 'The service was not started with DESKMAIL_ENABLE_OAUTH_TOKENS_API=true' })
  async token(@Param('id') id: string, @Query() query: TokenQuery): Promise<OAuthTokenResponse> {
    if (!this.config.enableOAuthTokensApi) {
      this.metrics.tokenApiCalls.inc({ result: 'forbidden' });
      throw new ForbiddenError('the OAuth2 token API is disabled; start the service with DESKMAIL_ENABLE_OAUTH_TOKENS_API=true to enable it');
    }
    try {
      const valid = await this.tokens.validToken(id, query.side);
      this.metrics.tokenApiCalls.inc({ result: 'ok' });
      return {
        mailbox: id,
        user: valid.user,
        accessToken: valid.accessToken,
        provider: valid.provider,
        registeredScopes: valid.grant.scopes,
        expires: valid.grant.expiresAt?.toISOString() ?? null,
      };
    } catch (error) {
      this.metrics.tokenApiCalls.inc({ result: 'error' });
      throw error;
    }
  }

  @Put(':id/reconnect')
  @ApiOperation({ summary: 'Force a token refresh (OAuth2 sides) and a new connection' })
  @ApiOkResponse({ type: ReconnectResponse })
  async reconnect(@Param('id') id: string): Promise<ReconnectResponse> {
    await this.mailboxOAuth.reconnect(id);
    return { reconnect: true };
  }
}
