import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError, TimeoutError } from '../errors';
import { asDatabaseError } from './database-errors';

function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

const failed = (driverError: Error) => new QueryFailedError('INSERT INTO message …', ['the mail text'], driverError);

describe('asDatabaseError', () => {
  it('a statement or lock timeout is the database not answering in time, naming the setting', () => {
    for (const code of ['57014', '55P03', '25P03']) {
      const error = asDatabaseError(failed(pgError(code, 'canceling statement due to statement timeout')), 1_000);
      assert.ok(error instanceof DatabaseUnavailableError, code);
      assert.equal(error.timedOut, true);
      assert.equal(error.status, 503);
      assert.match(error.message, /did not answer in time \(1 s, DESKMAIL_DB_STATEMENT_TIMEOUT_MS\)/);
    }
  });

  it('a lost connection, a shutdown or a full disk is the database unavailable', () => {
    for (const driverError of [pgError('57P01', 'terminating connection due to administrator command'), pgError('53100', 'could not extend file'), pgError('08006', 'connection failure'), new Error('Connection terminated unexpectedly')]) {
      const error = asDatabaseError(failed(driverError), 1_000);
      assert.ok(error instanceof DatabaseUnavailableError, driverError.message);
      assert.equal(error.timedOut, false);
    }
  });

  it('keeps the statement parameters (mail content) out of the error it gives', () => {
    const error = asDatabaseError(failed(pgError('57014', 'canceling statement due to statement timeout')), 1_000) as Error;
    assert.ok(!(error.cause instanceof QueryFailedError), 'the cause is the driver error, not the failed query with its parameters');
  });

  it('no free connection in time from the pool is a timeout too', () => {
    const error = asDatabaseError(new Error('timeout exceeded when trying to connect'), null);
    assert.ok(error instanceof DatabaseUnavailableError);
    assert.equal(error.timedOut, true);
  });

  it('leaves alone what is about the data written, and errors of other connections inside a transaction', () => {
    const unique = failed(pgError('23505', 'duplicate key value violates unique constraint'));
    assert.equal(asDatabaseError(unique, 1_000), unique);
    const tokenEndpoint = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8443'), { code: 'ECONNREFUSED' });
    assert.equal(asDatabaseError(tokenEndpoint, 1_000), tokenEndpoint);
    const mailServer = new TimeoutError('no answer from imap.example.com:993 within 15 s');
    assert.equal(asDatabaseError(mailServer, 1_000), mailServer);
  });
});
