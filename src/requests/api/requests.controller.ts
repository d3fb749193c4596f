import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { contentDisposition } from './content-disposition';
import { ReplyService } from './reply.service';
import { ListRequestsQuery, ReplyDto, ReplyQueuedView, RequestListView, RequestView, UpdateRequestDto } from './requests.dto';
import { RequestsService } from './requests.service';

@ApiTags('requests')
@ApiBearerAuth()
@Controller('v1/requests')
export class RequestsController {
  constructor(
    private readonly requests: RequestsService,
    private readonly replies: ReplyService,
  ) {}

  @Get()
  @ApiOkResponse({ type: RequestListView, description: 'Newest activity first' })
  list(@Query() query: ListRequestsQuery): Promise<RequestListView> {
    return this.requests.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: RequestView, description: 'The request with all its messages in order; `:id` may also be the request number' })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<RequestView> {
    return this.requests.get(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: RequestView })
  update(@Param('id') id: string, @Body() body: UpdateRequestDto): Promise<RequestView> {
    return this.requests.setStatus(id, body.status);
  }

  @Get(':id/attachments/:attachmentId')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The bytes, with their content type and Content-Disposition (RFC 6266, filename* for non-ASCII names)' })
  // Mail content is hostile: never sniffed into something else, never run as a page of this origin.
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Content-Security-Policy', "default-src 'none'; sandbox")
  async attachment(@Param('id') id: string, @Param('attachmentId') attachmentId: string): Promise<StreamableFile> {
    const file = await this.requests.attachment(id, attachmentId);
    return new StreamableFile(file.content, { type: file.contentType, length: file.size, disposition: contentDisposition(file.filename) });
  }

  @Post(':id/reply')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplyQueuedView, description: 'Queued to the outbox with the stored outgoing message, in one transaction' })
  reply(@Param('id') id: string, @Body() body: ReplyDto): Promise<ReplyQueuedView> {
    return this.replies.reply(id, body);
  }
}
