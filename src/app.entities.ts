import { MailboxLogEntry } from './mailboxes/mailbox-log.entity';
import { Mailbox } from './mailboxes/mailbox.entity';

/**
 * Every entity of the service, in one list: the DataSource and the migration generator
 * both read it, so the schema the code expects and the one migrations build cannot drift.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ENTITIES: Function[] = [Mailbox, MailboxLogEntry];
