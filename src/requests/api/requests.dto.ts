import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PagingQuery } from '../../core/http/paging.dto';
import { REQUEST_STATUSES, type RequestStatus } from '../entities/request.entity';

export class ListRequestsQuery extends PagingQuery {
  @ApiPropertyOptional({ description: 'Only requests of this mailbox (id)', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  mailbox?: string;

  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({ description: 'Text search in the subject and the requester’s name and address (case-insensitive, substring); a number finds that request', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class UpdateRequestDto {
  @ApiProperty({ enum: REQUEST_STATUSES })
  @IsIn(REQUEST_STATUSES)
  status: RequestStatus;
}

export class ReplyDto {
  @ApiProperty({ description: 'The reply as plain text', maxLength: 1_000_000 })
  @IsString()
  @MinLength(1)
  @MaxLength(1_000_000)
  text: string;

  @ApiPropertyOptional({ description: 'The same reply as HTML (sent as multipart/alternative; stored sanitized)', maxLength: 2_000_000 })
  @IsOptional()
  @IsString()
  @MaxLength(2_000_000)
  html?: string;
}

export class ListQuarantineQuery extends PagingQuery {
  @ApiPropertyOptional({ description: 'Only mails of this mailbox (id)', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  mailbox?: string;

  @ApiPropertyOptional({ description: 'Only this reason, e.g. "loop", "too large", "not turned into a request"', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reason?: string;
}

export class AddressView {
  @ApiProperty({ nullable: true, type: String })
  name: string | null;
  @ApiProperty()
  email: string;
}

export class AttachmentView {
  @ApiProperty() id: string;
  @ApiProperty() filename: string;
  @ApiProperty() contentType: string;
  @ApiProperty() size: number;
  @ApiProperty({ nullable: true, type: String, description: 'Content-ID: what `cid:` image sources in the message’s html name' })
  contentId: string | null;
  @ApiProperty({ description: 'An inline image shown by the html rather than a file to download' })
  inline: boolean;
}

export class MessageView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['in', 'out'] }) direction: 'in' | 'out';
  @ApiProperty({ enum: ['mail', 'note', 'acknowledgement', 'reply'], description: 'note: a bounce about this request' })
  kind: string;
  @ApiProperty({ type: AddressView, nullable: true }) from: AddressView | null;
  @ApiProperty({ type: [AddressView] }) to: AddressView[];
  @ApiProperty({ type: [AddressView] }) cc: AddressView[];
  @ApiProperty() subject: string;
  @ApiProperty({ nullable: true, type: String, description: 'Without angle brackets' }) messageId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) date: string | null;
  @ApiProperty() text: string;
  @ApiProperty({ nullable: true, type: String, description: 'Sanitized HTML; remote images moved to data-remote-src, cid: images kept' })
  html: string | null;
  @ApiProperty() autoReply: boolean;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ type: [AttachmentView] }) attachments: AttachmentView[];
}

export class RequestSummaryView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Short number, unique per service; outgoing subjects carry it as [##number##]' }) number: number;
  @ApiProperty() subject: string;
  @ApiProperty({ enum: REQUEST_STATUSES }) status: RequestStatus;
  @ApiProperty({ description: 'Mailbox id' }) mailbox: string;
  @ApiProperty({ type: AddressView }) requester: AddressView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class RequestView extends RequestSummaryView {
  @ApiProperty({ type: [MessageView], description: 'In the order deskmail received or sent them' })
  messages: MessageView[];
}

export class RequestListView {
  @ApiProperty({ type: [RequestSummaryView] }) requests: RequestSummaryView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

export class ReplyQueuedView {
  @ApiProperty({ description: 'The Message-ID the reply carries, without angle brackets' }) messageId: string;
  @ApiProperty({ enum: ['queued'] }) status: 'queued';
  @ApiProperty({ description: 'The outgoing message of the request' }) id: string;
}

export class QuarantinedMailView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Mailbox id' }) mailbox: string;
  @ApiProperty({ description: 'Short and stable: too large, too complex, unparseable, no sender, loop, not turned into a request, bounce, own address, storage failed' })
  reason: string;
  @ApiProperty({ description: 'What happened, in a sentence an admin can act on' }) detail: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty() size: number;
  @ApiProperty({ nullable: true, type: String }) subject: string | null;
  @ApiProperty({ nullable: true, type: String }) from: string | null;
  @ApiProperty({ nullable: true, type: String }) messageId: string | null;
  @ApiProperty() retries: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastRetryAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class QuarantineListView {
  @ApiProperty({ type: [QuarantinedMailView] }) messages: QuarantinedMailView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

export class RetryResultView {
  @ApiProperty({ enum: ['request', 'appended', 'duplicate', 'quarantined'], description: 'request/appended/duplicate: the quarantine row is gone; quarantined: it stays, with the new reason' })
  outcome: 'request' | 'appended' | 'duplicate' | 'quarantined';
  @ApiProperty({ nullable: true, description: '{ id, number } of the request the mail now belongs to' })
  request: { id: string; number: number } | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String }) detail: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The quarantine row, while the mail stays there' }) quarantine: string | null;
}
