import { Module, OnModuleInit } from '@nestjs/common';
import { MailboxExtensions } from '../mailboxes/mailbox-extensions';
import { MailboxesModule } from '../mailboxes/mailboxes.module';
import { OAuthModule } from '../oauth/oauth.module';
import { RequestsModule } from '../requests/requests.module';
import { FailingMailboxesHealth } from './failing-mailboxes.health';
import { FetchRunner } from './fetch-runner';
import { IdleWatcher } from './idle-watcher';
import { FetchMetrics } from './fetch.metrics';
import { FetchScheduler } from './fetch.scheduler';
import { IncomingController } from './incoming.controller';
import { LedgerService } from './ledger/ledger.service';
import { SampleMailService } from './sample-mail.service';
import { SourceConnector } from './source-connector';
import { SourceOptionsFactory } from './source-options.factory';

/**
 * Fetching mail: adapters behind MailSource, the one fetch loop, the scheduler, the
 * ledger. Which module turns raw mail into requests is bound to MAIL_INTAKE by the app.
 */
@Module({
  imports: [MailboxesModule, OAuthModule, RequestsModule],
  controllers: [IncomingController],
  providers: [FetchRunner, FetchMetrics, FetchScheduler, LedgerService, SampleMailService, SourceConnector, SourceOptionsFactory, FailingMailboxesHealth, IdleWatcher],
  exports: [FetchScheduler, LedgerService, SourceOptionsFactory, SourceConnector],
})
export class IncomingModule implements OnModuleInit {
  constructor(
    private readonly extensions: MailboxExtensions,
    private readonly ledger: LedgerService,
  ) {}

  onModuleInit(): void {
    this.extensions.addSideContributor(async (mailboxes, side) => {
      if (side !== 'incoming') return mailboxes.map(() => ({}));
      const figures = await this.ledger.figuresOf(mailboxes.map((mailbox) => mailbox.id));
      return mailboxes.map((mailbox) => ({ ledger: figures.get(mailbox.id) }));
    });
    this.extensions.addDeleteHook((mailboxId) => this.ledger.forgetMailbox(mailboxId));
  }
}
