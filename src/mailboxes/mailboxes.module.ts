import { Module } from '@nestjs/common';
import { MailboxLogService } from './mailbox-log.service';
import { MailboxStateService } from './mailbox-state.service';

@Module({
  providers: [MailboxLogService, MailboxStateService],
  exports: [MailboxLogService, MailboxStateService],
})
export class MailboxesModule {}
