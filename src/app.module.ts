import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from './core/core.module';
import type { Runtime } from './core/runtime';
import { MailboxesModule } from './mailboxes/mailboxes.module';

/** The module tree: core first, then one module per folder under src/. */
@Module({})
export class AppModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(runtime), MailboxesModule],
    };
  }
}
