import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { OutboxMessageView, OutboxPageView, OutboxQuery } from './outbox.dto';
import { OutboxService } from './outbox.service';

@ApiTags('outbox')
@ApiBearerAuth()
@Controller('v1/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Get()
  @ApiOkResponse({ type: OutboxPageView, description: 'Outgoing mails, newest first: `{ messages, total, page, pageSize }`' })
  async list(@Query() query: OutboxQuery): Promise<OutboxPageView> {
    const { items, total } = await this.outbox.list(query);
    return { messages: items.map(OutboxMessageView.of), total, page: query.page, pageSize: query.pageSize };
  }

  @Get(':id')
  @ApiOkResponse({ type: OutboxMessageView })
  @ApiNotFoundResponse({ description: 'No such outbox message' })
  async get(@Param('id') id: string): Promise<OutboxMessageView> {
    return OutboxMessageView.of(await this.outbox.get(id));
  }

  @Get(':id/raw')
  @ApiProduces('message/rfc822')
  @ApiOkResponse({ description: 'The exact bytes that are (or were) sent', content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } } })
  @ApiNotFoundResponse({ description: 'No such outbox message' })
  async raw(@Param('id') id: string): Promise<StreamableFile> {
    const raw = await this.outbox.raw(id);
    return new StreamableFile(raw, { type: 'message/rfc822', disposition: `attachment; filename="${id}.eml"`, length: raw.length });
  }
}
