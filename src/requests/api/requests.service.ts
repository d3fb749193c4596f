import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { countParts, readParts } from '../../core/database/byte-parts';
import { Database } from '../../core/database/database';
import { NotFoundError } from '../../core/errors';
import { BLOB_PARTS } from '../entities/attachment-blob.entity';
import { Attachment } from '../entities/attachment.entity';
import { Message } from '../entities/message.entity';
import { Request, type RequestStatus } from '../entities/request.entity';
import type { ListRequestsQuery, MessageView, RequestSummaryView, RequestView } from './requests.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^\d{1,9}$/;

export interface AttachmentContent {
  filename: string;
  contentType: string;
  size: number;
  /** The bytes, read from the database a part at a time as the client takes them. */
  content: Readable;
}

/** Reads and status changes of requests (api.md, "Requests"). */
@Injectable()
export class RequestsService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async list(query: ListRequestsQuery): Promise<{ requests: RequestSummaryView[]; total: number; page: number; pageSize: number }> {
    const [rows, total] = await this.db.run((em) => {
      const builder = em.createQueryBuilder(Request, 'r');
      if (query.mailbox) builder.andWhere('r.mailboxId = :mailbox', { mailbox: query.mailbox });
      if (query.status) builder.andWhere('r.status = :status', { status: query.status });
      const q = query.q?.trim();
      if (q) {
        const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const byNumber = /^#?\d{1,9}$/.test(q) ? ' OR r.number = :number' : '';
        builder.andWhere(
          `(r.subject ILIKE :pattern OR r.requesterEmail ILIKE :pattern OR r.requesterName ILIKE :pattern${byNumber})`,
          { pattern, number: Number(q.replace('#', '')) },
        );
      }
      return builder
        .orderBy('r.updatedAt', 'DESC')
        .addOrderBy('r.number', 'DESC')
        .skip((query.page - 1) * query.pageSize)
        .take(query.pageSize)
        .getManyAndCount();
    });
    return { requests: rows.map(summaryView), total, page: query.page, pageSize: query.pageSize };
  }

  /** By id, or by number (`/v1/requests/42`): people quote numbers. */
  async get(idOrNumber: string): Promise<RequestView> {
    return this.db.run(async (em) => {
      const request = await this.find(em, idOrNumber);
      const messages = await em.find(Message, { where: { requestId: request.id }, order: { seq: 'ASC' } });
      const attachments = await em.find(Attachment, { where: { requestId: request.id }, order: { position: 'ASC' } });
      const byMessage = new Map<string, Attachment[]>();
      for (const attachment of attachments) {
        const list = byMessage.get(attachment.messageId) ?? [];
        list.push(attachment);
        byMessage.set(attachment.messageId, list);
      }
      return { ...summaryView(request), messages: messages.map((message) => messageView(message, byMessage.get(message.id) ?? [])) };
    });
  }

  async setStatus(idOrNumber: string, status: RequestStatus): Promise<RequestView> {
    const request = await this.db.run((em) => this.find(em, idOrNumber));
    if (request.status !== status) await this.db.run((em) => em.update(Request, { id: request.id }, { status }));
    return this.get(request.id);
  }

  async attachment(idOrNumber: string, attachmentId: string): Promise<AttachmentContent> {
    const found = await this.db.run(async (em) => {
      const request = await this.find(em, idOrNumber);
      if (!UUID.test(attachmentId)) throw new NotFoundError('attachment', attachmentId);
      const rows: Array<{ filename: string; content_type: string; size: number; sha256: string }> = await em.query(
        `SELECT a.filename, a.content_type, a.size, a.sha256 FROM attachment a WHERE a.id = $1 AND a.request_id = $2`,
        [attachmentId, request.id],
      );
      if (rows.length === 0) throw new NotFoundError('attachment', attachmentId);
      return { ...rows[0], parts: await countParts(em, BLOB_PARTS, rows[0].sha256) };
    });
    return { filename: found.filename, contentType: found.content_type, size: Number(found.size), content: Readable.from(readParts(this.db, BLOB_PARTS, found.sha256, found.parts)) };
  }

  async find(em: EntityManager, idOrNumber: string): Promise<Request> {
    const where = UUID.test(idOrNumber) ? { id: idOrNumber } : NUMBER.test(idOrNumber) ? { number: Number(idOrNumber) } : null;
    const request = where ? await em.findOne(Request, { where }) : null;
    if (!request) throw new NotFoundError('request', idOrNumber);
    return request;
  }
}

export function summaryView(request: Request): RequestSummaryView {
  return {
    id: request.id,
    number: Number(request.number),
    subject: request.subject,
    status: request.status,
    mailbox: request.mailboxId,
    requester: { name: request.requesterName, email: request.requesterEmail },
    createdAt: request.createdAt.toISOString(),
    updatedAt: request.updatedAt.toISOString(),
  };
}

function messageView(message: Message, attachments: Attachment[]): MessageView {
  return {
    id: message.id,
    direction: message.direction,
    kind: message.kind,
    from: message.from,
    to: message.to ?? [],
    cc: message.cc ?? [],
    subject: message.subject,
    messageId: message.messageId,
    date: message.date?.toISOString() ?? null,
    text: message.text,
    html: message.html,
    autoReply: message.autoReply,
    receivedAt: message.receivedAt.toISOString(),
    attachments: attachments.map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size, contentId: a.contentId, inline: a.inline })),
  };
}
