import { EmailMessage, MimeContent, WellKnownFolderName } from 'ews-javascript-api';
import { MessageRejectedError, TemporaryRejectionError } from '../../../core/errors';
import { downloadDeadlineMs } from '../../../core/net/deadline';
import { ewsCodeOf } from '../../../incoming/adapters/ews/ews-error.mapper';
import { EwsSession } from '../../../incoming/adapters/ews/ews-session';
import type { Envelope, MailTransport, MailTransportOptions, SendResult } from '../../mail-transport.port';
import { assertEnvelopeMatchesHeaders } from './mime-recipients';

/** EWS answers about the message itself: sending the same bytes again cannot succeed. */
const REJECTED_CODES = new Set([
  'ErrorInvalidRecipients',
  'ErrorMessageSizeExceeded',
  'ErrorSendAsDenied',
  'ErrorInvalidMimeContent',
  'ErrorMimeContentConversionFailed',
  'ErrorMimeContentInvalid',
  'ErrorInvalidSmtpAddress',
]);
/** The sending mailbox is over a limit that passes (mailbox full, daily submission quota). */
const DEFERRED_CODES = new Set(['ErrorQuotaExceeded', 'ErrorSubmissionQuotaExceeded']);

/**
 * Sends finished MIME through Exchange Web Services: CreateItem with the MIME content and
 * MessageDisposition SendAndSaveCopy (a copy lands in the mailbox's Sent Items). Exchange
 * keeps our headers (Message-ID, In-Reply-To, References, Auto-Submitted) as they are.
 */
export class EwsTransport implements MailTransport {
  private session: EwsSession | null = null;

  constructor(private readonly options: MailTransportOptions) {}

  async send(envelope: Envelope, raw: Buffer): Promise<SendResult> {
    assertEnvelopeMatchesHeaders(envelope, raw, 'EWS');
    const session = (this.session ??= new EwsSession(this.options));
    const message = new EmailMessage(session.service);
    message.MimeContent = new MimeContent('UTF-8', raw.toString('base64'));
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    try {
      await session.call('CreateItem', () => message.SendAndSaveCopy(session.distinguished(WellKnownFolderName.SentItems)), {
        responseMs: downloadDeadlineMs(raw.length * 1.4, commandMs, downloadMsPerMiB),
      });
    } catch (err) {
      throw classifySendError(err);
    }
    return { server: 'primary', response: 'CreateItem (SendAndSaveCopy): NoError' };
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = null;
  }
}

/** Message-level EWS codes become rejections (permanent or deferred); the rest stays as mapped. */
export function classifySendError(err: unknown): unknown {
  const code = ewsCodeOf(err);
  const text = err instanceof Error ? err.message : String(err);
  const cause = { cause: err };
  if (code && REJECTED_CODES.has(code)) return new MessageRejectedError(`Exchange refused the message: ${text}`, code, cause);
  if (code && DEFERRED_CODES.has(code)) return new TemporaryRejectionError(`Exchange deferred the message: ${text}`, code, cause);
  return err;
}
