import pino, { type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/app-config';

/**
 * Structured JSON logs. Secrets never reach a log line: the redaction list covers every
 * field name a secret travels under, at any depth we log, and log messages are built from
 * ids and codes, never from request bodies.
 */
export const REDACTED_KEYS = [
  'password',
  'pass',
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'id_token',
  'idToken',
  'token',
  'secret',
  'authorization',
  'code_verifier',
  'codeVerifier',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]);
  return pino(
    {
      level,
      base: { service: 'deskmail' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Routes Nest's own log calls into the same structured stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

export const LOGGER = Symbol('LOGGER');
