import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  ConnectionError,
  InvalidGrantError,
  MessageRejectedError,
  ProtocolError,
  ReauthorizationRequired,
  TemporaryRejectionError,
  ThrottledError,
  TimeoutError,
  TlsError,
  TokenRequestError,
} from '../../core/errors';
import { decideAfterFailure, MAX_RETRY_DELAY_MS, MAX_SETTINGS_WAIT_MS, retryDelayMs, type FailureDecision } from './retry-policy';

const policy = { maxAttempts: 5, baseMs: 60_000 };
const noJitter = () => 0.5;
const HOUR = 60 * 60_000;

type Expected = Pick<FailureDecision, 'failureClass' | 'status' | 'sideState' | 'mailboxWide'>;

const table: Array<{ name: string; error: unknown; expect: Expected }> = [
  {
    name: '550 no such user: failed at once, never resent; the session itself worked',
    error: new MessageRejectedError('rejected', '550 no such user'),
    expect: { failureClass: 'rejected', status: 'failed', sideState: 'connected', mailboxWide: false },
  },
  {
    name: '451 greylisting: retried later, the other mails of the mailbox go on',
    error: new TemporaryRejectionError('deferred', '451 try later'),
    expect: { failureClass: 'deferred', status: 'queued', sideState: null, mailboxWide: false },
  },
  {
    name: 'throttled: retried later, and the mailbox pauses',
    error: new ThrottledError('slow down', 1_000),
    expect: { failureClass: 'deferred', status: 'queued', sideState: null, mailboxWide: true },
  },
  {
    name: 'connection refused on both hosts: retried, connectError',
    error: new ConnectionError('refused'),
    expect: { failureClass: 'unreachable', status: 'queued', sideState: 'connectError', mailboxWide: true },
  },
  {
    name: 'no greeting in time: retried, connectError',
    error: new TimeoutError('no answer'),
    expect: { failureClass: 'unreachable', status: 'queued', sideState: 'connectError', mailboxWide: true },
  },
  {
    name: 'refused password: waits for the admin, authenticationError',
    error: new AuthenticationError('refused'),
    expect: { failureClass: 'settings', status: 'queued', sideState: 'authenticationError', mailboxWide: true },
  },
  {
    name: 'revoked grant: waits for a new consent, authenticationError',
    error: new InvalidGrantError('revoked'),
    expect: { failureClass: 'settings', status: 'queued', sideState: 'authenticationError', mailboxWide: true },
  },
  {
    name: 'no grant yet: authorizationRequired',
    error: new ReauthorizationRequired('authorize first'),
    expect: { failureClass: 'settings', status: 'queued', sideState: 'authorizationRequired', mailboxWide: true },
  },
  {
    name: 'untrusted certificate: waits for caCertificate, connectError',
    error: new TlsError('self-signed'),
    expect: { failureClass: 'settings', status: 'queued', sideState: 'connectError', mailboxWide: true },
  },
  {
    name: 'token endpoint down: waits, the OAuth2 module reports the state',
    error: new TokenRequestError('503'),
    expect: { failureClass: 'settings', status: 'queued', sideState: null, mailboxWide: true },
  },
  {
    name: 'unsupported protocol: waits for the admin',
    error: new ProtocolError('ews is not supported yet'),
    expect: { failureClass: 'settings', status: 'queued', sideState: 'connectError', mailboxWide: true },
  },
  {
    name: 'an unexpected error: retried like a deferral, nothing said about the mailbox',
    error: new Error('boom'),
    expect: { failureClass: 'deferred', status: 'queued', sideState: null, mailboxWide: false },
  },
];

describe('decideAfterFailure: the outbox decision table', () => {
  for (const row of table) {
    it(row.name, () => {
      const decision = decideAfterFailure(row.error, 1, 0, policy, noJitter);
      const { failureClass, status, sideState, mailboxWide } = decision;
      assert.deepEqual({ failureClass, status, sideState, mailboxWide }, row.expect);
      if (status === 'queued') assert.ok(decision.delayMs > 0);
    });
  }

  it('fails a mail the server keeps deferring after maxAttempts', () => {
    const error = new TemporaryRejectionError('deferred', '421 busy');
    assert.equal(decideAfterFailure(error, 4, HOUR, policy, noJitter).status, 'queued');
    assert.equal(decideAfterFailure(error, 5, HOUR, policy, noJitter).status, 'failed');
    assert.equal(decideAfterFailure(new ConnectionError('refused'), 5, HOUR, policy, noJitter).status, 'failed');
  });

  it('keeps a mail held back by the settings past maxAttempts, until the give-up time', () => {
    const error = new AuthenticationError('refused');
    assert.equal(decideAfterFailure(error, 50, 24 * HOUR, policy, noJitter).status, 'queued');
    assert.equal(decideAfterFailure(error, 50, MAX_SETTINGS_WAIT_MS - 1_000, policy, noJitter).status, 'failed');
  });

  it('waits at least as long as a throttling server asked', () => {
    const decision = decideAfterFailure(new ThrottledError('slow down', 10 * 60_000), 1, 0, policy, noJitter);
    assert.equal(decision.delayMs, 10 * 60_000);
  });

  it('backs off exponentially between attempts', () => {
    const error = new TemporaryRejectionError('deferred', '451');
    assert.deepEqual([1, 2, 3, 4].map((attempts) => decideAfterFailure(error, attempts, 0, policy, noJitter).delayMs), [60_000, 120_000, 240_000, 480_000]);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base', () => {
    assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(n, 1_000, noJitter)), [1_000, 2_000, 4_000]);
  });

  it('never waits longer than an hour, jitter included', () => {
    assert.equal(retryDelayMs(40, 60_000, noJitter), MAX_RETRY_DELAY_MS);
    assert.equal(retryDelayMs(40, 60_000, () => 0.999), MAX_RETRY_DELAY_MS);
  });

  it('spreads retries by at most 20 %', () => {
    assert.equal(retryDelayMs(1, 10_000, () => 0), 8_000);
    assert.equal(retryDelayMs(1, 10_000, () => 1), 12_000);
  });
});
