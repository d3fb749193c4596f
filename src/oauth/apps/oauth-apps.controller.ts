import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { PagingQuery } from '../../core/http/paging.dto';
import { ProviderList, renderProviders } from '../providers/providers.view';
import { serviceBaseUrl } from '../service-url';
import { CreateOAuthAppDto, UpdateOAuthAppDto } from './oauth-app.dto';
import { OAuthAppList, OAuthAppResponse, renderApp } from './oauth-app.view';
import { OAuthAppsService } from './oauth-apps.service';

@ApiTags('oauth2')
@ApiBearerAuth()
@Controller('v1/oauth2')
export class OAuthAppsController {
  constructor(
    private readonly apps: OAuthAppsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // Declared before ':id' so "providers" is never read as an app id.
  @Get('providers')
  @ApiOperation({ summary: 'Provider presets: default URLs, scopes per baseScope, servers the UI pre-fills' })
  @ApiOkResponse({ type: ProviderList })
  providers(): ProviderList {
    return renderProviders();
  }

  @Post()
  @ApiOperation({ summary: 'Register an OAuth2 application (client)' })
  @ApiCreatedResponse({ type: OAuthAppResponse })
  async create(@Body() body: CreateOAuthAppDto, @Req() request: Request): Promise<OAuthAppResponse> {
    return renderApp(await this.apps.create(body), serviceBaseUrl(this.config, request));
  }

  @Get()
  @ApiOkResponse({ type: OAuthAppList })
  async list(@Query() query: PagingQuery, @Req() request: Request): Promise<OAuthAppList> {
    const { items, total } = await this.apps.list(query.page, query.pageSize);
    const base = serviceBaseUrl(this.config, request);
    return { apps: items.map((app) => renderApp(app, base)), total, page: query.page, pageSize: query.pageSize };
  }

  @Get(':id')
  @ApiOkResponse({ type: OAuthAppResponse })
  async get(@Param('id') id: string, @Req() request: Request): Promise<OAuthAppResponse> {
    return renderApp(await this.apps.get(id), serviceBaseUrl(this.config, request));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Partial update; null clears an override; the merged app is validated whole' })
  @ApiOkResponse({ type: OAuthAppResponse })
  async update(@Param('id') id: string, @Body() body: UpdateOAuthAppDto, @Req() request: Request): Promise<OAuthAppResponse> {
    return renderApp(await this.apps.update(id, body), serviceBaseUrl(this.config, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its grants' })
  @ApiConflictResponse({ description: 'A mailbox still uses the app' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.apps.remove(id);
  }
}
