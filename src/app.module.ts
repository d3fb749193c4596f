import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from './core/core.module';
import type { Runtime } from './core/runtime';
import { MailboxesModule } from './mailboxes/mailboxes.module';
import { OAuthModule } from './oauth/oauth.module';
import { OutgoingModule } from './outgoing/outgoing.module';
import { RequestsModule } from './requests/requests.module';
import { WebModule } from './web/web.module';
import { IncomingModule } from './incoming/incoming.module';

/** The module tree: core first, then one module per folder under src/. */
@Module({})
export class AppModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(runtime), MailboxesModule, OAuthModule, OutgoingModule, RequestsModule, IncomingModule, WebModule.forRoot()],
    };
  }
}
