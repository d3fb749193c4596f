import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRequestToken } from '../parsing/subject';
import { MAX_OUTGOING_REFERENCES, outgoingSubject, threadReferences } from './outgoing-subject';

describe('outgoingSubject', () => {
  it('puts the request token first and answers with one "Re:"', () => {
    assert.equal(outgoingSubject('Printer on fire', 42), '[##42##] Re: Printer on fire');
    assert.equal(outgoingSubject('RE: Printer on fire', 42), '[##42##] RE: Printer on fire');
    assert.equal(outgoingSubject('Re: [##42##] Printer on fire', 42), '[##42##] Re: Printer on fire');
  });

  it('gives a subject-less request a readable subject that still threads', () => {
    assert.equal(outgoingSubject('', 7), '[##7##] Re: (no subject)');
    assert.equal(findRequestToken(outgoingSubject(null, 7)), 7);
  });

  it('keeps the request token first even when the subject names another request', () => {
    const subject = outgoingSubject('Fwd: [##3##] from the other desk', 9);
    assert.equal(findRequestToken(subject), 9);
  });
});

describe('threadReferences', () => {
  it("follows the parent's References with the parent's Message-ID", () => {
    assert.deepEqual(threadReferences({ messageId: 'c@x', references: ['a@x', 'b@x'], inReplyTo: 'b@x' }), ['a@x', 'b@x', 'c@x']);
  });

  it('uses In-Reply-To when the parent has no References', () => {
    assert.deepEqual(threadReferences({ messageId: 'c@x', references: [], inReplyTo: 'b@x' }), ['b@x', 'c@x']);
  });

  it('keeps the root and the newest ids of a long thread', () => {
    const references = Array.from({ length: 50 }, (_, i) => `${i}@x`);
    const result = threadReferences({ messageId: 'new@x', references, inReplyTo: null });
    assert.equal(result.length, MAX_OUTGOING_REFERENCES);
    assert.equal(result[0], '0@x');
    assert.equal(result.at(-1), 'new@x');
  });
});
