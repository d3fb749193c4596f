import { MessageRejectedError, TemporaryRejectionError } from '../../../core/errors';
import { downloadDeadlineMs } from '../../../core/net/deadline';
import { graphFailureOf } from '../../../incoming/adapters/graph/graph-error.mapper';
import { GraphSession } from '../../../incoming/adapters/graph/graph-session';
import type { Envelope, MailTransport, MailTransportOptions, SendResult } from '../../mail-transport.port';
import { assertEnvelopeMatchesHeaders } from '../ews/mime-recipients';

/** Graph answers about the message itself (400 Bad Request, 413, 422): the same bytes cannot succeed later. */
const REJECTED_STATUSES = new Set([400, 413, 415, 422]);
/** The sending mailbox is over a limit that passes. */
const DEFERRED_CODES = new Set(['ErrorQuotaExceeded', 'ErrorSubmissionQuotaExceeded', 'ErrorMessageSubmissionBlocked']);

/**
 * Sends finished MIME through Microsoft Graph: `POST /users/{address}/sendMail` with the
 * MIME base64-encoded as text/plain ("Send Outlook messages in MIME format"). Graph sends the
 * MIME as it is, so our own headers (Message-ID, In-Reply-To, References, Auto-Submitted)
 * survive, and it saves a copy in Sent Items. Answers 202 Accepted.
 */
export class GraphTransport implements MailTransport {
  private session: GraphSession | null = null;

  constructor(private readonly options: MailTransportOptions) {}

  async send(envelope: Envelope, raw: Buffer): Promise<SendResult> {
    assertEnvelopeMatchesHeaders(envelope, raw, 'Microsoft Graph');
    const session = (this.session ??= new GraphSession(this.options));
    const body = raw.toString('base64');
    const { commandMs, downloadMsPerMiB } = this.options.deadlines;
    try {
      const request = session.api('/sendMail', downloadDeadlineMs(body.length, commandMs, downloadMsPerMiB)).header('Content-Type', 'text/plain');
      await session.call('POST sendMail', 'Mail.Send', () => request.post(body));
    } catch (err) {
      throw classifySendError(err);
    }
    return { server: 'primary', response: '202 Accepted' };
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = null;
  }
}

export function classifySendError(err: unknown): unknown {
  const failure = graphFailureOf((err as Error | null)?.cause);
  if (!failure) return err;
  const text = (err as Error).message;
  const response = `${failure.status} ${failure.code}: ${failure.message}`.trim();
  if (DEFERRED_CODES.has(failure.code)) return new TemporaryRejectionError(`Microsoft Graph deferred the message: ${text}`, response, { cause: err });
  if (REJECTED_STATUSES.has(failure.status)) return new MessageRejectedError(`Microsoft Graph refused the message: ${text}`, response, { cause: err });
  return err;
}
