import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { DomainError } from './domain-error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code?: string;
}

/**
 * The one place domain errors become HTTP answers in the contract's shape. Anything
 * unknown is logged with its stack and answered as a 500 without internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500 && !(exception instanceof DomainError)) {
      this.logger.error({ err: exception }, 'unhandled error');
    }
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      const body: ErrorBody = { statusCode: exception.status, error: reason(exception.status), message: exception.message };
      if (exception.code) body.code = exception.code;
      return body;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message = typeof payload === 'string' ? payload : ((payload as { message?: string | string[] }).message ?? exception.message);
      return { statusCode: status, error: reason(status), message };
    }
    if (isBodyParserError(exception)) {
      return { statusCode: 400, error: reason(400), message: `request body: ${exception.message}` };
    }
    return { statusCode: 500, error: reason(500), message: 'internal error; see the service log' };
  }
}

const reason = (status: number): string => STATUS_CODES[status] ?? 'Error';

function isBodyParserError(error: unknown): error is { message: string; status: number } {
  return typeof error === 'object' && error !== null && (error as { type?: string }).type !== undefined && (error as { status?: number }).status === HttpStatus.BAD_REQUEST;
}
