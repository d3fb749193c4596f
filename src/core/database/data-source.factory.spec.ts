import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDataSource } from './data-source.factory';

const pool = (statementTimeoutMs: number | null) =>
  (createDataSource({ databaseUrl: 'postgres://deskmail@127.0.0.1:1/none', pgliteDir: null, entities: [], migrations: [], statementTimeoutMs }).options as { extra: Record<string, unknown> }).extra;

describe('createDataSource on PostgreSQL', () => {
  it('gives every pooled connection the statement timeout, and probes idle connections within seconds', () => {
    const extra = pool(1_500);
    assert.equal(extra.statement_timeout, 1_500);
    assert.equal(extra.keepAlive, true);
    assert.ok((extra.keepAliveInitialDelayMillis as number) <= 60_000, 'not the OS default of two hours');
    assert.ok((extra.connectionTimeoutMillis as number) > 0, 'waiting for a connection has a deadline too');
  });

  it('sets no statement timeout when there is none, and never an idle-in-transaction one', () => {
    assert.equal(pool(null).statement_timeout, undefined);
    assert.equal(pool(1_500).idle_in_transaction_session_timeout, undefined);
  });
});
