import type { MailAddress } from '../parsing/parsed-mail';
import { requestToken } from './outgoing-subject';

/**
 * The acknowledgement's text: which request was opened, and that the token keeps replies in
 * it. Plain text only; the outbox makes the MIME.
 */
export function acknowledgementText(requester: MailAddress, number: number, signature: string | null): string {
  const greeting = requester.name ? `Hello ${requester.name},` : 'Hello,';
  return [
    greeting,
    '',
    `thank you for your message. We have opened request #${number} for it and will answer as soon as we can.`,
    '',
    `Please keep ${requestToken(number)} in the subject when you write to us about this request.`,
    '',
    'This is an automatic acknowledgement; there is no need to answer it.',
    ...(signature ? ['', '-- ', signature] : []),
    '',
  ].join('\n');
}
