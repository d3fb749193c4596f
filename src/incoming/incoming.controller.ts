import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PagingQuery } from '../core/http/paging.dto';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import { FetchScheduler } from './fetch.scheduler';
import type { FetchSummary } from './fetch-runner';
import { LedgerService } from './ledger/ledger.service';
import type { LedgerOutcome } from './ledger/ledger-entry.entity';
import { SampleMailService, type SampleMail } from './sample-mail.service';

class LedgerQuery extends PagingQuery {
  @ApiPropertyOptional({ enum: ['request', 'appended', 'duplicate', 'quarantined', 'ignored'] })
  @IsOptional()
  @IsIn(['request', 'appended', 'duplicate', 'quarantined', 'ignored'])
  outcome?: LedgerOutcome;
}

@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('v1/mailboxes/:id')
export class IncomingController {
  constructor(
    private readonly samples: SampleMailService,
    private readonly scheduler: FetchScheduler,
    private readonly ledger: LedgerService,
    private readonly mailboxes: MailboxesService,
  ) {}

  @Post('sample-mail')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ found, message: { subject, from, to, date, messageId, size, text, attachments }, decision }' })
  @ApiBadGatewayResponse({ description: 'The server could not be used: `code` and a message a person can act on' })
  sample(@Param('id') id: string): Promise<SampleMail> {
    return this.samples.sample(id);
  }

  @Post('fetch')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ fetched, created, appended, skipped, quarantined }' })
  fetchNow(@Param('id') id: string): Promise<FetchSummary> {
    return this.scheduler.fetchNow(id);
  }

  @Get('ledger')
  @ApiOkResponse({ description: '{ entries, total, page, pageSize }, newest first' })
  async listLedger(@Param('id') id: string, @Query() query: LedgerQuery): Promise<Record<string, unknown>> {
    await this.mailboxes.get(id);
    const [rows, total] = await this.ledger.page(id, query.outcome, query.page, query.pageSize);
    return {
      entries: rows.map((row) => ({
        folder: row.folder,
        serverId: row.serverId,
        messageId: row.messageId,
        size: row.size,
        outcome: row.outcome,
        request: row.requestId,
        committedAt: row.committedAt.toISOString(),
        acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
        action: row.action,
        acknowledgeError: row.acknowledgeError,
      })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }
}
