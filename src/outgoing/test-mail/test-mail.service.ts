import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database';
import { InvalidInputError } from '../../core/errors';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { MailboxesService } from '../../mailboxes/mailboxes.service';
import type { OutgoingMail } from '../outbox.port';
import { OutboxSender } from '../outbox/outbox-sender';
import { OutboxService } from '../outbox/outbox.service';

export interface TestMailResult {
  messageId: string;
  server: 'primary' | 'alternate';
  response: string;
}

/**
 * "Send a test mail": proves the outgoing settings now. The mail goes through the outbox like
 * any other (a row of kind `test`, claimed by this process as it is written, so no worker
 * races it), and is sent at once; a failure answers 502 with the transport's error and
 * leaves the row queued or failed with that error, by the same rules as every mail.
 */
@Injectable()
export class TestMailService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly mailboxes: MailboxesService,
    private readonly outbox: OutboxService,
    private readonly sender: OutboxSender,
  ) {}

  async send(mailboxId: string, to: string): Promise<TestMailResult> {
    const mailbox = await this.mailboxes.get(mailboxId);
    if (!mailbox.outgoing) throw new InvalidInputError('outgoing', `is not configured for mailbox ${mailbox.name}: add outgoing server settings first`);
    const queued = await this.db.transaction((em) => this.outbox.enqueueClaimed(em, testMail(mailbox, to)));
    const result = await this.sender.sendNow(queued.id);
    return { messageId: queued.messageId, server: result.server, response: result.response };
  }
}

function testMail(mailbox: Mailbox, to: string): OutgoingMail {
  const settings = mailbox.outgoing!;
  const server = settings.host ? `${settings.protocol} ${settings.host}:${settings.port}` : settings.protocol;
  return {
    mailboxId: mailbox.id,
    requestId: null,
    kind: 'test',
    to: [{ email: to }],
    subject: `deskmail test mail from ${mailbox.name}`,
    text: [
      `This is a test mail from deskmail, sent through the outgoing server settings of the mailbox "${mailbox.name}"`,
      `(${server}, as ${settings.senderAddress}).`,
      '',
      'If you can read it, replies and acknowledgements of this mailbox can leave. Nothing needs to be done with it.',
    ].join('\n'),
  };
}
