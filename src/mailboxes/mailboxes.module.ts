import { Module } from '@nestjs/common';
import { MailboxExtensions } from './mailbox-extensions';
import { MailboxLogService } from './mailbox-log.service';
import { MailboxStateService } from './mailbox-state.service';
import { MailboxView } from './mailbox.view';
import { MailboxesController } from './mailboxes.controller';
import { MailboxesService } from './mailboxes.service';

@Module({
  controllers: [MailboxesController],
  providers: [MailboxLogService, MailboxStateService, MailboxExtensions, MailboxesService, MailboxView],
  exports: [MailboxLogService, MailboxStateService, MailboxExtensions, MailboxesService, MailboxView],
})
export class MailboxesModule {}
