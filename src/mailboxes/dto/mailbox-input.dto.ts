import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/**
 * Input shapes for POST (create) and PATCH (partial update) alike: the types are checked
 * here, the rules that join fields (protocol × auth, default ports, …) in
 * `mailbox-settings.rules.ts`, after a PATCH is merged into what is stored.
 */
export class LoopLimitDto {
  @ApiProperty({ minimum: 1, maximum: 1000, default: 5 })
  @IsInt()
  @Min(1)
  @Max(1000)
  count: number;

  @ApiProperty({ minimum: 1, maximum: 1440, default: 60 })
  @IsInt()
  @Min(1)
  @Max(1440)
  minutes: number;
}

/** What both sides configure about their server and login (secrets write-only). */
export class ServerInputDto {
  @ApiPropertyOptional({ nullable: true, example: 'mail.example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  host?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Default by protocol: imap 143, imaps 993, pop 110, pops 995, smtp 587, smtps 465' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'ews: https://…/EWS/Exchange.asmx (required); graph: overrides https://graph.microsoft.com' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  connectUrl?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  username?: string | null;

  @ApiPropertyOptional({ nullable: true, writeOnly: true, description: 'Write-only; responses carry passwordSet' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  password?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'OAuth2 application id (authType oauth2)' })
  @IsOptional()
  @IsString()
  oauth2App?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'PEM certificate or chain to trust for this server; host names are still verified' })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  caCertificate?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  debug?: boolean;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class IncomingInputDto extends ServerInputDto {
  @ApiPropertyOptional({ enum: ['imap', 'imaps', 'pop', 'pops', 'ews', 'graph'] })
  @IsOptional()
  @IsIn(['imap', 'imaps', 'pop', 'pops', 'ews', 'graph'])
  protocol?: string;

  @ApiPropertyOptional({ enum: ['password', 'oauth2'] })
  @IsOptional()
  @IsIn(['password', 'oauth2'])
  authType?: string;

  @ApiPropertyOptional({ default: 'INBOX' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  folder?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1440, default: 5 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1440)
  fetchIntervalMinutes?: number;

  @ApiPropertyOptional({ default: false, description: 'IMAP only: also listen with IDLE and fetch as soon as mail arrives' })
  @IsOptional()
  @IsBoolean()
  idle?: boolean;

  @ApiPropertyOptional({ enum: ['markSeen', 'markRead', 'move', 'delete', 'keep'], description: 'IMAP markSeen|move|delete; POP delete|keep; EWS/Graph markRead|move|delete' })
  @IsOptional()
  @IsIn(['markSeen', 'markRead', 'move', 'delete', 'keep'])
  afterFetch?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  moveTo?: string | null;

  @ApiPropertyOptional({ default: true, description: 'false: "disable new request creation by email"' })
  @IsOptional()
  @IsBoolean()
  createRequests?: boolean;

  @ApiPropertyOptional({ enum: ['all', 'none', 'since'], default: 'since' })
  @IsOptional()
  @IsIn(['all', 'none', 'since'])
  importExisting?: string;

  @ApiPropertyOptional({ nullable: true, description: 'With importExisting since; default seven days before creation' })
  @IsOptional()
  @IsISO8601({ strict: true })
  importSince?: string | null;

  @ApiPropertyOptional({ default: 'windows-1252' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  fallbackCharset?: string;

  @ApiPropertyOptional({ type: LoopLimitDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LoopLimitDto)
  loopLimit?: LoopLimitDto;
}

export class OutgoingInputDto extends ServerInputDto {
  @ApiPropertyOptional({ enum: ['smtp', 'smtps', 'ews', 'graph'] })
  @IsOptional()
  @IsIn(['smtp', 'smtps', 'ews', 'graph'])
  protocol?: string;

  @ApiPropertyOptional({ enum: ['none', 'password', 'oauth2'] })
  @IsOptional()
  @IsIn(['none', 'password', 'oauth2'])
  authType?: string;

  @ApiPropertyOptional({ nullable: true, description: 'Tried after a connection failure on host' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  alternateHost?: string | null;

  @ApiPropertyOptional({ default: true, description: 'smtp: require STARTTLS (always when credentials are sent)' })
  @IsOptional()
  @IsBoolean()
  tls?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Reuse the incoming OAuth2 grant' })
  @IsOptional()
  @IsBoolean()
  sameAsIncoming?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  senderName?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsEmail()
  senderAddress?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsEmail()
  replyTo?: string | null;

  @ApiPropertyOptional({ default: false, description: 'Acknowledge new requests to the requester' })
  @IsOptional()
  @IsBoolean()
  acknowledge?: boolean;
}

export class CreateMailboxDto {
  @ApiProperty({ example: 'Support' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ type: [String], example: ['support@example.com'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsEmail({}, { each: true })
  emailAddresses: string[];

  @ApiProperty({ type: IncomingInputDto })
  @IsObject()
  @ValidateNested()
  @Type(() => IncomingInputDto)
  incoming: IncomingInputDto;

  @ApiPropertyOptional({ type: OutgoingInputDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OutgoingInputDto)
  outgoing?: OutgoingInputDto | null;
}

/** PATCH: any part of a mailbox; the merged settings are validated whole (mailbox-settings.rules.ts). */
export class UpdateMailboxDto extends PartialType(CreateMailboxDto) {}
