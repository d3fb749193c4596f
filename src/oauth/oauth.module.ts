import { Module } from '@nestjs/common';
import { MailboxesModule } from '../mailboxes/mailboxes.module';
import { OAuthAppsController } from './apps/oauth-apps.controller';
import { OAuthAppsService } from './apps/oauth-apps.service';
import { ConsentService } from './consent/consent.service';
import { OAuthCallbackController } from './consent/oauth-callback.controller';
import { GrantStore } from './grants/grant-store';
import { MailboxOAuthController } from './grants/mailbox-oauth.controller';
import { MailboxOAuthService } from './grants/mailbox-oauth.service';
import { OAuthTokenService } from './grants/oauth-token.service';
import { RefreshScheduler } from './grants/refresh-scheduler';
import { TokenRefresher } from './grants/token-refresher';
import { OAuthHealth } from './oauth-health';
import { OAuthMailboxHooks } from './oauth-mailbox-hooks';
import { OAuthMetrics } from './oauth-metrics';
import { OAuthTuning } from './oauth-tuning';
import { providerPresets } from './providers/provider-presets';
import { TokenEndpointClient } from './tokens/token-endpoint.client';

// A broken config/oauth-providers.json stops the service at start, not at the first consent.
providerPresets();

/**
 * OAuth2: apps and provider presets, consent (state + PKCE), the encrypted grant store, token
 * refresh (single-flight, daily), the token API. Other modules use OAuthTokenService (access
 * tokens, XOAUTH2 credentials, summaries) and OAuthAppsService.
 */
@Module({
  imports: [MailboxesModule],
  controllers: [OAuthAppsController, MailboxOAuthController, OAuthCallbackController],
  providers: [
    OAuthTuning,
    OAuthMetrics,
    OAuthAppsService,
    GrantStore,
    TokenEndpointClient,
    TokenRefresher,
    OAuthTokenService,
    ConsentService,
    MailboxOAuthService,
    RefreshScheduler,
    OAuthHealth,
    OAuthMailboxHooks,
  ],
  exports: [OAuthTokenService, OAuthAppsService, OAuthTuning],
})
export class OAuthModule {}
