import { MailboxLogEntry } from './mailboxes/mailbox-log.entity';
import { Mailbox } from './mailboxes/mailbox.entity';
import { OAuthApp } from './oauth/apps/oauth-app.entity';
import { OAuthConsent } from './oauth/consent/oauth-consent.entity';
import { OAuthGrant } from './oauth/grants/oauth-grant.entity';
import { OutboxMessage } from './outgoing/outbox/outbox-message.entity';
import { AttachmentBlob, AttachmentBlobPart } from './requests/entities/attachment-blob.entity';
import { Attachment } from './requests/entities/attachment.entity';
import { Message } from './requests/entities/message.entity';
import { Request } from './requests/entities/request.entity';
import { QuarantinedMail, QuarantinedMailPart } from './requests/quarantine/quarantined-mail.entity';
import { FetchCursor } from './incoming/ledger/fetch-cursor.entity';
import { LedgerEntry } from './incoming/ledger/ledger-entry.entity';

/**
 * Every entity of the service, in one list: the DataSource and the migration generator
 * both read it, so the schema the code expects and the one migrations build cannot drift.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ENTITIES: Function[] = [Mailbox, MailboxLogEntry, OAuthApp, OAuthGrant, OAuthConsent, Request, Message, Attachment, AttachmentBlob, AttachmentBlobPart, QuarantinedMail, QuarantinedMailPart, OutboxMessage, LedgerEntry, FetchCursor];
