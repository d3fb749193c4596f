import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError, DomainError } from '../errors';

/**
 * SQLSTATE classes and codes that say the database, not the statement, is the problem
 * (PostgreSQL appendix A): a deadline passed, the connection or the server went away, the
 * server ran out of something. Anything else (a constraint, bad data) is about what was
 * written and is left as it is.
 */
const TIMEOUT_CODES = new Set(['57014', '55P03', '25P03']);
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '58000', '58030']);
const UNAVAILABLE_CLASSES = ['08', '53'];

/** A statement's socket failed under it (node-postgres words; TypeORM wraps them in QueryFailedError). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const CONNECTION_LOST = /Connection terminated|connection (ended|closed|is closed)/i;
/** pg-pool's words when no connection could be had within connectionTimeoutMillis. */
const NO_CONNECTION_IN_TIME = /timeout exceeded when trying to connect/i;

/**
 * `error` as a DatabaseUnavailableError when the database driver says the database is
 * unavailable or too slow; otherwise `error` itself. Only the driver's own errors are
 * looked at: work inside a transaction may fail on other connections (an OAuth token
 * endpoint, say), and those keep their meaning.
 */
export function asDatabaseError(error: unknown, statementTimeoutMs: number | null): unknown {
  if (error instanceof DomainError || !(error instanceof Error)) return error;
  if (NO_CONNECTION_IN_TIME.test(error.message)) {
    return new DatabaseUnavailableError(`the database gave no connection in time: ${error.message}`, true, { cause: error });
  }
  // A QueryFailedError carries the statement's parameters (mail content): only its driver
  // error goes on as the cause. COPY (copy-parts) talks to the driver directly.
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error instanceof DatabaseError ? error : null;
  if (!(driverError instanceof Error)) return error;
  const code = String((driverError as { code?: unknown }).code ?? '');
  const reason = driverError.message;
  if (TIMEOUT_CODES.has(code)) {
    const limit = statementTimeoutMs ? ` (${statementTimeoutMs / 1000} s, DESKMAIL_DB_STATEMENT_TIMEOUT_MS)` : '';
    return new DatabaseUnavailableError(`the database did not answer in time${limit}: ${reason}`, true, { cause: driverError });
  }
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) || NETWORK_CODES.has(code) || CONNECTION_LOST.test(reason)) {
    return new DatabaseUnavailableError(`the database is unavailable: ${reason}`, false, { cause: driverError });
  }
  return error;
}
