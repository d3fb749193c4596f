import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError } from '../errors';
import { downloadDeadlineMs, formatSeconds, withDeadline } from './deadline';

describe('withDeadline', () => {
  it('answers with the work when it is in time', async () => {
    assert.equal(await withDeadline(Promise.resolve(42), 1000, 'no answer from x:1'), 42);
  });

  it('fails with a TimeoutError that says what did not answer, and lets the caller clean up', async () => {
    let cleanedUp = false;
    const never = new Promise<never>(() => undefined);
    await assert.rejects(withDeadline(never, 20, 'no answer from imap.example.com:993', () => (cleanedUp = true)), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.equal(err.message, 'no answer from imap.example.com:993 within 0.02 s');
      return true;
    });
    assert.equal(cleanedUp, true);
  });

  it('passes the work\'s own failure through', async () => {
    await assert.rejects(withDeadline(Promise.reject(new Error('refused')), 1000, 'x'), /refused/);
  });

  it('does not leave a late failure unhandled', async () => {
    const late = new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late')), 30));
    await assert.rejects(withDeadline(late, 5, 'x'), TimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});

describe('deadline arithmetic', () => {
  it('formats milliseconds as people read timeouts', () => {
    assert.equal(formatSeconds(15_000), '15 s');
    assert.equal(formatSeconds(1_500), '1.5 s');
  });

  it('gives big messages more time', () => {
    assert.equal(downloadDeadlineMs(0, 30_000, 10_000), 30_000);
    assert.equal(downloadDeadlineMs(5 * 1024 * 1024, 30_000, 10_000), 80_000);
  });
});
