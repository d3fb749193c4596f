import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { insertRows, type InsertColumn } from '../../core/database/insert-rows';
import { insertParts } from '../../core/database/byte-parts';
import { BLOB_PARTS } from '../entities/attachment-blob.entity';
import type { MailBytes } from '../../core/spool/spooled-bytes';
import { eventTime, subjectKey, type RequestMail } from '../pipeline/request-mail';
import type { StepContext } from '../pipeline/inbound-mail';

/** An incoming mail to write as a message of the request `requestId`. */
export interface MessageToWrite {
  mail: RequestMail;
  requestId: string;
}

const MESSAGE_COLUMNS: readonly InsertColumn[] = [
  ['request_id', 'uuid'],
  ['mailbox_id', 'uuid'],
  ['direction', 'varchar'],
  ['kind', 'varchar'],
  ['from', 'jsonb'],
  ['to', 'jsonb'],
  ['cc', 'jsonb'],
  ['subject', 'text'],
  ['message_id', 'varchar'],
  ['identity', 'varchar'],
  ['date', 'timestamptz'],
  ['text', 'text'],
  ['html', 'text'],
  ['in_reply_to', 'varchar'],
  ['references', 'jsonb'],
  ['is_note', 'boolean'],
  ['auto_reply', 'boolean'],
  ['requester_email', 'varchar'],
  ['subject_key', 'varchar'],
  ['received_at', 'timestamptz'],
];

const ATTACHMENT_COLUMNS: readonly InsertColumn[] = [
  ['message_id', 'uuid'],
  ['request_id', 'uuid'],
  ['position', 'integer'],
  ['filename', 'varchar'],
  ['content_type', 'varchar'],
  ['size', 'integer'],
  ['content_id', 'varchar'],
  ['inline', 'boolean'],
  ['sha256', 'varchar'],
];


/**
 * Writes parsed incoming mails as messages of requests, with their attachments, a batch in
 * a few statements; the attachment bytes go to the content-addressed blob table once per
 * distinct content.
 */
@Injectable()
export class IncomingMessageWriter {
  /**
   * The message row id of each mail written. A mail missing from the answer was refused by
   * the de-duplication constraint (`ON CONFLICT DO NOTHING` — the only other unique key is
   * the random id): another process stored it a moment ago, so it is a duplicate here,
   * without an error that would abort the transaction.
   */
  async write(em: EntityManager, messages: readonly MessageToWrite[], context: StepContext): Promise<Map<RequestMail, string>> {
    const written = new Map<RequestMail, string>();
    if (messages.length === 0) return written;
    const rows = await insertRows<{ id: string; identity: string }>(
      em,
      'message',
      MESSAGE_COLUMNS,
      messages.map(({ mail, requestId }) => messageRow(mail, requestId, context)),
      'ON CONFLICT ("mailbox_id", "identity") DO NOTHING RETURNING id, identity',
    );
    const idByIdentity = new Map(rows.map((row) => [row.identity, String(row.id)]));
    for (const { mail } of messages) {
      const id = idByIdentity.get(mail.identity!);
      if (id) written.set(mail, id);
    }
    await this.writeAttachments(em, messages.filter(({ mail }) => written.has(mail)).map(({ mail, requestId }) => ({ mail, requestId, messageRowId: written.get(mail)! })));
    return written;
  }

  private async writeAttachments(em: EntityManager, messages: Array<MessageToWrite & { messageRowId: string }>): Promise<void> {
    const blobs = new Map<string, MailBytes>();
    const rows: unknown[][] = [];
    for (const { mail, requestId, messageRowId } of messages) {
      mail.parsed!.attachments.forEach((attachment, position) => {
        blobs.set(attachment.sha256, attachment.content);
        rows.push([
          messageRowId,
          requestId,
          position,
          attachment.filename.slice(0, 300),
          attachment.contentType.slice(0, 200),
          attachment.size,
          attachment.contentId?.slice(0, 500) ?? null,
          attachment.inline,
          attachment.sha256,
        ]);
      });
    }
    await this.writeBlobs(em, blobs);
    if (rows.length > 0) await insertRows(em, 'attachment', ATTACHMENT_COLUMNS, rows);
  }

  /**
   * The contents this database does not have yet, in parts. Only a blob row this statement
   * created gets its parts (the same logo in every signature is sent once); a blob another
   * process is writing at this moment makes this INSERT wait for its commit and then yields
   * nothing here: its parts come with it. Parts are read (from a spool file) just before the
   * statement that sends them.
   */
  private async writeBlobs(em: EntityManager, blobs: Map<string, MailBytes>): Promise<void> {
    if (blobs.size === 0) return;
    const created = await insertRows<{ sha256: string }>(
      em,
      'attachment_blob',
      [['sha256', 'varchar'], ['size', 'integer']],
      [...blobs].map(([sha256, content]) => [sha256, content.length]),
      'ON CONFLICT ("sha256") DO NOTHING RETURNING sha256',
    );
    await insertParts(em, BLOB_PARTS, created.map(({ sha256 }) => [sha256, blobs.get(sha256)!] as const));
  }
}

function messageRow(mail: RequestMail, requestId: string, context: StepContext): unknown[] {
  const parsed = mail.parsed!;
  const requester = mail.requester ?? null;
  const from = parsed.from ?? requester;
  return [
    requestId,
    mail.mailbox.id,
    'in',
    mail.bounce ? 'note' : 'mail',
    from ? JSON.stringify(from) : null,
    JSON.stringify(parsed.to ?? []),
    JSON.stringify(parsed.cc ?? []),
    parsed.subject,
    parsed.messageId,
    mail.identity!,
    parsed.date,
    parsed.text,
    mail.sanitizedHtml ?? null,
    parsed.inReplyTo,
    JSON.stringify(parsed.references ?? []),
    !!mail.bounce,
    mail.autoReply?.isAutoReply ?? false,
    requester?.email.slice(0, 320) ?? null,
    subjectKey(parsed.subject),
    eventTime(mail, context),
  ];
}
