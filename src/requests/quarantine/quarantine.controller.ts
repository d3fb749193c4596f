import { Controller, Delete, Get, Header, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ListQuarantineQuery, QuarantinedMailView, QuarantineListView, RetryResultView } from '../api/requests.dto';
import { contentDisposition } from '../api/content-disposition';
import { QuarantineService } from './quarantine.service';

@ApiTags('quarantine')
@ApiBearerAuth()
@Controller('v1/quarantine')
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  @ApiOkResponse({ type: QuarantineListView, description: 'Mails that did not become requests, newest first' })
  list(@Query() query: ListQuarantineQuery): Promise<QuarantineListView> {
    return this.quarantine.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: QuarantinedMailView })
  get(@Param('id') id: string): Promise<QuarantinedMailView> {
    return this.quarantine.get(id);
  }

  @Get(':id/raw')
  @ApiProduces('message/rfc822')
  @ApiOkResponse({ description: 'The mail exactly as fetched' })
  @Header('X-Content-Type-Options', 'nosniff')
  async raw(@Param('id') id: string): Promise<StreamableFile> {
    const raw = await this.quarantine.raw(id);
    return new StreamableFile(raw.content, { type: 'message/rfc822', length: raw.size, disposition: contentDisposition(`quarantine-${id}.eml`) });
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOkResponse({ type: RetryResultView, description: 'What the pipeline did this time; a mail that became a request (or a message, or was already there) leaves quarantine' })
  retry(@Param('id') id: string): Promise<RetryResultView> {
    return this.quarantine.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Discards the mail for good' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.quarantine.remove(id);
  }
}
