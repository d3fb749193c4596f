import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { PagingQuery } from '../core/http/paging.dto';
import { CreateMailboxDto, UpdateMailboxDto } from './dto/mailbox-input.dto';
import { MailboxLogService } from './mailbox-log.service';
import { MailboxView } from './mailbox.view';
import { MailboxesService } from './mailboxes.service';

class LogsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}

@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('v1/mailboxes')
export class MailboxesController {
  constructor(
    private readonly mailboxes: MailboxesService,
    private readonly view: MailboxView,
    private readonly logs: MailboxLogService,
  ) {}

  @Post()
  @ApiCreatedResponse({ description: 'The mailbox with secrets replaced by passwordSet, and each side’s state' })
  async create(@Body() body: CreateMailboxDto): Promise<Record<string, unknown>> {
    return this.view.render(await this.mailboxes.create(body));
  }

  @Get()
  @ApiOkResponse({ description: '{ mailboxes, total, page, pageSize }' })
  async list(@Query() query: PagingQuery): Promise<Record<string, unknown>> {
    const page = await this.mailboxes.list(query.page, query.pageSize);
    return { mailboxes: await this.view.renderAll(page.items), total: page.total, page: page.page, pageSize: page.pageSize };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    return this.view.render(await this.mailboxes.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ description: 'Partial update; the merged settings are validated whole; server changes reconnect' })
  async update(@Param('id') id: string, @Body() body: UpdateMailboxDto): Promise<Record<string, unknown>> {
    return this.view.render(await this.mailboxes.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; its requests stay' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.mailboxes.remove(id);
  }

  @Get(':id/logs')
  @ApiOkResponse({ description: '{ entries: [{ at, level, event, message }] }, newest first' })
  async listLogs(@Param('id') id: string, @Query() query: LogsQuery): Promise<Record<string, unknown>> {
    await this.mailboxes.get(id);
    const entries = await this.logs.list(id, query.limit);
    return { entries: entries.map((e) => ({ at: e.at.toISOString(), level: e.level, event: e.event, side: e.side, message: e.message })) };
  }
}
