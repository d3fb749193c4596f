import { MessageRejectedError } from '../../../core/errors';
import type { Envelope } from '../../mail-transport.port';

/**
 * EWS (CreateItem with MimeContent) and Graph (sendMail with MIME) send to the recipients
 * in the MIME headers, not to an SMTP envelope. deskmail builds both from one outbox row, so
 * they agree; should they ever not, refusing is better than mail silently going elsewhere.
 * Shared by the EWS and Graph transports.
 */
export function assertEnvelopeMatchesHeaders(envelope: Envelope, raw: Buffer, protocol: string): void {
  const listed = new Set(headerAddresses(raw, ['to', 'cc', 'bcc']));
  const missing = envelope.to.filter((address) => !listed.has(address.trim().toLowerCase()));
  if (missing.length) {
    const text = `${protocol} sends to the To/Cc/Bcc headers of the message, which do not name ${missing.join(', ')}`;
    throw new MessageRejectedError(text, text);
  }
}

/** The addresses of some header fields (unfolded, first header block only, lower case). */
export function headerAddresses(raw: Buffer, names: string[]): string[] {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const addresses: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !wanted.has(line.slice(0, colon).trim().toLowerCase())) continue;
    // Quoted display names may contain '@' or ','; drop them before picking addresses out.
    const value = line.slice(colon + 1).replace(/"(?:[^"\\]|\\.)*"/g, '');
    for (const match of value.matchAll(/[^\s<>,;:()]+@[^\s<>,;:()]+/g)) addresses.push(match[0].toLowerCase());
  }
  return addresses;
}
