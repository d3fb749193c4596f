import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PagingQuery } from '../../core/http/paging.dto';
import type { OutboxMessage, OutboxStatus } from './outbox-message.entity';

const STATUSES: OutboxStatus[] = ['queued', 'sending', 'sent', 'failed'];

export class OutboxQuery extends PagingQuery {
  @ApiPropertyOptional({ enum: STATUSES, description: '`sending`: claimed by a sender right now (an addition to the contract)' })
  @IsOptional()
  @IsIn(STATUSES)
  status?: OutboxStatus;

  @ApiPropertyOptional({ description: 'Only mails of this mailbox (id)' })
  @IsOptional()
  @IsUUID()
  mailbox?: string;
}

export class OutboxErrorView {
  @ApiProperty({ example: 'CONNECTION_FAILED' })
  code: string;
  @ApiProperty({ example: 'the server deferred the message at RCPT TO: 451 try later' })
  message: string;
  @ApiProperty({ format: 'date-time' })
  at: string;
}

/** One outbox row as the API shows it (never the raw bytes: GET /v1/outbox/:id/raw). */
export class OutboxMessageView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Mailbox id' }) mailbox: string;
  @ApiProperty({ nullable: true, type: String, description: 'Request id; null for test mails' }) request: string | null;
  @ApiProperty({ enum: ['acknowledgement', 'reply', 'test'] }) kind: string;
  @ApiProperty({ description: 'Envelope sender (MAIL FROM)' }) from: string;
  @ApiProperty({ type: [String], description: 'Envelope recipients (RCPT TO): To and Cc' }) to: string[];
  @ApiProperty() subject: string;
  @ApiProperty({ description: 'Without angle brackets' }) messageId: string;
  @ApiProperty({ enum: STATUSES }) status: OutboxStatus;
  @ApiProperty({ description: 'Sends started so far' }) attempts: number;
  @ApiProperty({ type: OutboxErrorView, nullable: true }) lastError: OutboxErrorView | null;
  @ApiProperty({ enum: ['primary', 'alternate'], nullable: true, description: 'The server that took the mail' }) server: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The server's last answer (250 … when sent, the refusal when failed)" }) response: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) sentAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it is tried next (queued or sending)' }) nextAttemptAt: string | null;

  static of(row: OutboxMessage): OutboxMessageView {
    const waiting = row.status === 'queued' || row.status === 'sending';
    return {
      id: row.id,
      mailbox: row.mailboxId,
      request: row.requestId,
      kind: row.kind,
      from: row.envelopeFrom,
      to: row.envelopeTo,
      subject: row.subject,
      messageId: row.messageId,
      status: row.status,
      attempts: row.attempts,
      lastError: row.lastError,
      server: row.server,
      response: row.response,
      createdAt: row.createdAt.toISOString(),
      sentAt: row.sentAt?.toISOString() ?? null,
      nextAttemptAt: waiting ? row.nextAttemptAt.toISOString() : null,
    };
  }
}

export class OutboxPageView {
  @ApiProperty({ type: [OutboxMessageView] }) messages: OutboxMessageView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}
