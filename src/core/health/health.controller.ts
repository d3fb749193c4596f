import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { HealthReport, HealthService } from './health.service';

@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get()
  @ApiOkResponse({ description: '`status` ok, or degraded with `warnings` an operator should act on' })
  @ApiServiceUnavailableResponse({ description: 'the database is down' })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.report();
    if (report.database === 'down') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
