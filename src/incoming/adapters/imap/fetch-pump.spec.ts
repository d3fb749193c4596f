import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FetchPump, type FetchedSource } from './fetch-pump';

/** A fake FETCH: answers `uids` in order, counting how far it has been read. */
function fakeFetch(uids: number[], failAfter?: number) {
  let index = 0;
  const state = { read: 0 };
  const pull = async (): Promise<IteratorResult<FetchedSource, unknown>> => {
    await new Promise((resolve) => setImmediate(resolve));
    if (failAfter !== undefined && index === failAfter) throw new Error('connection lost');
    if (index >= uids.length) return { done: true, value: undefined };
    const uid = uids[index++];
    state.read = index;
    return { done: false, value: { uid, source: Buffer.from(`message ${uid}`) } };
  };
  return { pull, state };
}

describe('FetchPump', () => {
  it('hands out messages in the order asked, whatever order the server answers in', async () => {
    const { pull } = fakeFetch([3, 1, 2]);
    const pump = new FetchPump(pull, 1024 * 1024);
    assert.equal((await pump.take(1))?.toString(), 'message 1');
    assert.equal((await pump.take(2))?.toString(), 'message 2');
    assert.equal((await pump.take(3))?.toString(), 'message 3');
  });

  it('answers null for a message the server did not return (expunged meanwhile)', async () => {
    const { pull } = fakeFetch([1, 3]);
    const pump = new FetchPump(pull, 1024 * 1024);
    assert.ok(await pump.take(1));
    assert.equal(await pump.take(2), null);
    assert.ok(await pump.take(3));
  });

  it('stops reading ahead while the consumer is busy, and reads the rest on drain', async () => {
    const { pull, state } = fakeFetch([1, 2, 3, 4, 5]);
    const pump = new FetchPump(pull, 1); // one byte: at most one message ahead
    await pump.take(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(state.read <= 2, `read ${state.read} while the consumer was busy`);
    await pump.drain();
    assert.equal(state.read, 5);
    assert.equal((await pump.take(5))?.toString(), 'message 5');
  });

  it('reads to the end and drops everything after discard', async () => {
    const { pull, state } = fakeFetch([1, 2, 3]);
    const pump = new FetchPump(pull, 1);
    await pump.take(1);
    pump.discard();
    await pump.done;
    assert.equal(state.read, 3);
  });

  it('reports a failure to the consumer that is waiting for a message', async () => {
    const { pull } = fakeFetch([1, 2], 1);
    const pump = new FetchPump(pull, 1024);
    assert.ok(await pump.take(1));
    await assert.rejects(pump.take(2), /connection lost/);
    assert.equal(pump.unreportedFailure, null);
  });

  it('keeps a failure that happened after the consumer left', async () => {
    const { pull } = fakeFetch([1, 2], 1);
    const pump = new FetchPump(pull, 1024);
    await pump.take(1);
    pump.discard();
    await pump.done;
    assert.match(String(pump.unreportedFailure), /connection lost/);
  });
});
