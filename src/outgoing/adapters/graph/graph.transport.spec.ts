import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { AuthenticationError, MessageRejectedError, ProtocolError, TemporaryRejectionError } from '../../../core/errors';
import { classifySendError } from './graph.transport';

/** What GraphSession.call throws: a mapped MailError whose cause is the client's GraphError. */
function refused(status: number, code: string, message: string): Error {
  const cause = Object.assign(new GraphError(status, message), { code });
  return new ProtocolError(`graph.microsoft.com:443 refused POST sendMail (${status} ${code}: ${message})`, { cause });
}

describe('GraphTransport.classifySendError', () => {
  it('refuses for good what Graph says is wrong with the message (400, 413)', () => {
    for (const [status, code] of [[400, 'ErrorInvalidRecipients'], [413, 'ErrorMessageSizeExceeded'], [400, 'ErrorMimeContentInvalidBase64String']] as const) {
      const error = classifySendError(refused(status, code, 'no'));
      assert.ok(error instanceof MessageRejectedError, String(error));
      assert.equal(error.response, `${status} ${code}: no`);
    }
  });

  it('defers when the mailbox is over a quota that passes', () => {
    assert.ok(classifySendError(refused(403, 'ErrorSubmissionQuotaExceeded', 'daily limit')) instanceof TemporaryRejectionError);
  });

  it('leaves everything else as the mapper made it', () => {
    const denied = new AuthenticationError('denied', { cause: Object.assign(new GraphError(403, 'x'), { code: 'ErrorAccessDenied' }) });
    assert.equal(classifySendError(denied), denied);
    const plain = new Error('x');
    assert.equal(classifySendError(plain), plain);
  });
});
