import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TestMailDto, TestMailResultView } from './test-mail.dto';
import { TestMailService } from './test-mail.service';

@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('v1/mailboxes/:id')
export class TestMailController {
  constructor(private readonly testMail: TestMailService) {}

  @Post('test-mail')
  @HttpCode(200)
  @ApiOkResponse({ type: TestMailResultView, description: 'The server took the test mail' })
  @ApiBadRequestResponse({ description: '`to` is not an email address, or the mailbox has no outgoing settings' })
  @ApiNotFoundResponse({ description: 'No such mailbox' })
  @ApiBadGatewayResponse({ description: 'The server refused or could not be reached: `code` and a message a person can act on; the outbox row keeps the error' })
  send(@Param('id') id: string, @Body() body: TestMailDto): Promise<TestMailResultView> {
    return this.testMail.send(id, body.to);
  }
}
