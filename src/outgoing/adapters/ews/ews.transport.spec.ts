import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionError, MessageRejectedError, ProtocolError, TemporaryRejectionError } from '../../../core/errors';
import { EwsResponseError } from '../../../incoming/adapters/ews/ews-error.mapper';
import { classifySendError } from './ews.transport';

const mapped = (code: string) => new ProtocolError(`mail.example.com:443 answered CreateItem with ${code}: text`, { cause: new EwsResponseError(code, 'text') });

describe('EwsTransport.classifySendError', () => {
  it('refuses for good what Exchange says is wrong with the message', () => {
    for (const code of ['ErrorInvalidRecipients', 'ErrorMessageSizeExceeded', 'ErrorSendAsDenied', 'ErrorMimeContentConversionFailed']) {
      const error = classifySendError(mapped(code));
      assert.ok(error instanceof MessageRejectedError, code);
      assert.equal(error.response, code);
      assert.match(error.message, /^Exchange refused the message: /);
    }
  });

  it('defers over a mailbox or submission quota', () => {
    assert.ok(classifySendError(mapped('ErrorQuotaExceeded')) instanceof TemporaryRejectionError);
    assert.ok(classifySendError(mapped('ErrorSubmissionQuotaExceeded')) instanceof TemporaryRejectionError);
  });

  it('leaves connection trouble and unknown codes as mapped', () => {
    const down = new ConnectionError('connection refused');
    assert.equal(classifySendError(down), down);
    const other = mapped('ErrorSchemaValidation');
    assert.equal(classifySendError(other), other);
  });
});
