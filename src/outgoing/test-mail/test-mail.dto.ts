import { ApiProperty } from '@nestjs/swagger';
import { IsEmail } from 'class-validator';

export class TestMailDto {
  @ApiProperty({ example: 'admin@example.com', description: 'Where the test mail goes' })
  @IsEmail({}, { message: 'to must be an email address' })
  to: string;
}

export class TestMailResultView {
  @ApiProperty({ description: 'Message-ID of the test mail, without angle brackets' })
  messageId: string;
  @ApiProperty({ enum: ['primary', 'alternate'], description: 'The server that took it' })
  server: 'primary' | 'alternate';
  @ApiProperty({ example: '250 2.0.0 Ok: queued as 4F2B1' })
  response: string;
}
