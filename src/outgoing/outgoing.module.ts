import { Inject, Module, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';
import { MailboxExtensions } from '../mailboxes/mailbox-extensions';
import { MailboxesModule } from '../mailboxes/mailboxes.module';
import { OAuthModule } from '../oauth/oauth.module';
import { OUTBOX } from './outbox.port';
import { OutboxClaimer } from './outbox/outbox-claimer';
import { OutboxDelivery } from './outbox/outbox-delivery';
import { OutboxSender } from './outbox/outbox-sender';
import { OutboxController } from './outbox/outbox.controller';
import { OutboxMetrics } from './outbox/outbox.metrics';
import { OutboxService } from './outbox/outbox.service';
import { TransportOptionsFactory } from './outbox/transport-options.factory';
import { TestMailController } from './test-mail/test-mail.controller';
import { TestMailService } from './test-mail/test-mail.service';

/**
 * Outgoing mail: transports behind MailTransport, the durable outbox every mail leaves
 * through (OUTBOX, enqueued in the caller's transaction), its sender, and the test mail.
 */
@Module({
  imports: [MailboxesModule, OAuthModule],
  controllers: [OutboxController, TestMailController],
  providers: [
    OutboxClaimer,
    OutboxMetrics,
    OutboxService,
    OutboxDelivery,
    OutboxSender,
    TransportOptionsFactory,
    TestMailService,
    { provide: OUTBOX, useExisting: OutboxService },
  ],
  exports: [OUTBOX],
})
export class OutgoingModule implements OnModuleInit {
  constructor(
    private readonly extensions: MailboxExtensions,
    private readonly outbox: OutboxService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.extensions.addSideContributor(async (mailboxes, side) => {
      if (side !== 'outgoing') return mailboxes.map(() => ({}));
      const figures = await this.outbox.figuresOf(mailboxes.map((mailbox) => mailbox.id));
      return mailboxes.map((mailbox) => (mailbox.outgoing ? { outbox: figures.get(mailbox.id) } : {}));
    });
    this.extensions.addDeleteHook((mailboxId) => this.outbox.forgetMailbox(mailboxId));
    // A new consent, registered tokens or "reconnect": what waited for the admin may go now.
    this.extensions.onChange((mailboxId, change) => {
      if (change === 'deleted') return;
      this.outbox.retryNow(mailboxId).catch((error) => this.logger.warn({ err: error, mailbox: mailboxId }, 'outbox retry after reconnect failed'));
    });
  }
}
