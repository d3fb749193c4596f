import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { Public } from '../../core/auth/public.decorator';
import { LOGGER } from '../../core/logging/logger';
import { renderCallbackPage } from './callback-page';
import { ConsentService, type CallbackQuery } from './consent.service';

const PARAMETERS = ['state', 'code', 'error', 'error_description', 'iss'] as const;

@ApiTags('oauth2')
@Controller('oauth')
export class OAuthCallbackController {
  constructor(
    private readonly consent: ConsentService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * No API token: the provider redirects the admin's browser here. The query is read raw, not
   * through a whitelisting DTO: providers add parameters of their own (Google: scope, authuser,
   * prompt; Microsoft: session_state), which must not turn a success into a 400. RFC 9207's
   * `iss` is read: it must name the server the consent was started with.
   */
  @Public()
  @Get('callback')
  @ApiOperation({ summary: 'Where the provider redirects after consent: exchanges the code and answers an HTML page that posts {type:"deskmail:oauth", ok, mailbox} to window.opener' })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'error', required: false })
  @ApiQuery({ name: 'error_description', required: false })
  @ApiQuery({ name: 'iss', required: false, description: 'RFC 9207: the authorization server that answered; must be the app’s own' })
  @ApiResponse({ status: 200, description: 'Connected (HTML)' })
  @ApiResponse({ status: 400, description: 'Unknown, used or expired state, an error from the provider, or a failed token request (HTML); nothing stored' })
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const query: CallbackQuery = {};
    for (const name of PARAMETERS) {
      const value = request.query[name];
      if (typeof value === 'string') query[name] = value;
    }
    let page;
    try {
      page = renderCallbackPage(await this.consent.complete(query));
    } catch (error) {
      this.logger.error({ err: error }, 'OAuth2 callback failed unexpectedly');
      page = { ...renderCallbackPage({ ok: false, mailbox: null, error: 'deskmail could not complete the authorization (see the service log).' }), status: 500 };
    }
    response.status(page.status).set(page.headers).send(page.html);
  }
}
