import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AttachmentBlob } from '../entities/attachment-blob.entity';
import { Attachment } from '../entities/attachment.entity';
import { Message } from '../entities/message.entity';
import type { ParsedAttachment } from '../parsing/parsed-mail';
import { eventTime, subjectKey, type RequestMail } from '../pipeline/request-mail';
import type { StepContext } from '../pipeline/inbound-mail';

/**
 * Writes one parsed incoming mail as a message of a request, with its attachments; the
 * attachment bytes go to the content-addressed blob table once per distinct content.
 */
@Injectable()
export class IncomingMessageWriter {
  /**
   * The message row's id, or null when the mailbox already has a message with this identity:
   * the de-duplication constraint refused it (`ON CONFLICT DO NOTHING` — the only other
   * unique key is the random id), so a mail that another process stored a moment ago is a
   * duplicate here, without an error that would abort the transaction.
   */
  async write(em: EntityManager, mail: RequestMail, requestId: string, context: StepContext): Promise<string | null> {
    const parsed = mail.parsed!;
    const requester = mail.requester ?? null;
    const values = {
      requestId,
      mailboxId: mail.mailbox.id,
      direction: 'in' as const,
      kind: mail.bounce ? ('note' as const) : ('mail' as const),
      from: parsed.from ?? requester,
      to: parsed.to,
      cc: parsed.cc,
      subject: parsed.subject,
      messageId: parsed.messageId,
      identity: mail.identity!,
      date: parsed.date,
      text: parsed.text,
      html: mail.sanitizedHtml ?? null,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      isNote: !!mail.bounce,
      autoReply: mail.autoReply?.isAutoReply ?? false,
      requesterEmail: requester?.email.slice(0, 320) ?? null,
      subjectKey: subjectKey(parsed.subject),
      receivedAt: eventTime(mail, context),
    };
    const inserted = await em.createQueryBuilder().insert().into(Message).values(values).orIgnore().returning(['id']).execute();
    const rows = Array.isArray(inserted.raw) ? (inserted.raw as Array<{ id: string }>) : [];
    if (rows.length === 0) return null;
    const messageRowId = String(rows[0].id);
    await this.writeAttachments(em, messageRowId, requestId, parsed.attachments);
    return messageRowId;
  }

  private async writeAttachments(em: EntityManager, messageRowId: string, requestId: string, attachments: readonly ParsedAttachment[]): Promise<void> {
    if (attachments.length === 0) return;
    const written = new Set<string>();
    for (const attachment of attachments) {
      if (written.has(attachment.sha256)) continue;
      written.add(attachment.sha256);
      // One statement per blob: a mail's attachments can add up to the whole maximum mail size.
      await em
        .createQueryBuilder()
        .insert()
        .into(AttachmentBlob)
        .values({ sha256: attachment.sha256, size: attachment.size, content: attachment.content })
        .orIgnore()
        .execute();
    }
    await em.insert(
      Attachment,
      attachments.map((attachment, position) => ({
        messageId: messageRowId,
        requestId,
        position,
        filename: attachment.filename.slice(0, 300),
        contentType: attachment.contentType.slice(0, 200),
        size: attachment.size,
        contentId: attachment.contentId?.slice(0, 500) ?? null,
        inline: attachment.inline,
        sha256: attachment.sha256,
      })),
    );
  }
}
