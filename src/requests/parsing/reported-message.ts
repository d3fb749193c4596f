import { isSpooled, readSpooled, type MailBytes } from '../../core/spool/spooled-bytes';
import { Libmime } from 'libmime';
import type { ContentTypeValue, ParsedAttachment, ReportedMessage } from './parsed-mail';
import { cleanLine, extractReferences, normalizeMessageId } from './mail-headers';

/**
 * Parts of a multipart/report that carry the reported-on message or its header section:
 * RFC 3464 §2 (DSN) returns `message/rfc822` or `text/rfc822-headers` (RFC 6522 §4),
 * RFC 6533 the `message/global(-headers)` forms for internationalised mail.
 */
const RETURNED_MESSAGE_TYPES = new Set([
  'message/rfc822',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global',
  'message/global-headers',
]);
/** A header section bigger than this is not a header section. */
const MAX_RETURNED_HEADER_BYTES = 256 * 1024;

const libmime = new Libmime();

/**
 * What a multipart/report (RFC 6522) reports on. Only the returned message's header section
 * is read — its Message-ID, In-Reply-To, References and subject are what tie a bounce to the
 * request whose outgoing mail bounced (issue 6: "a bounce about a request is appended to it
 * as a note"). Decoding uses libmime, mailparser's header decoder.
 */
export function readReportedMessage(
  contentType: ContentTypeValue,
  attachments: readonly ParsedAttachment[],
): ReportedMessage | null {
  if (contentType.mimeType !== 'multipart/report') return null;
  const returned = attachments.find((attachment) => RETURNED_MESSAGE_TYPES.has(attachment.contentType));
  return {
    reportType: contentType.params['report-type']?.toLowerCase() ?? null,
    original: returned ? readHeaderSection(returned.content) : null,
  };
}

function readHeaderSection(content: MailBytes): ReportedMessage['original'] {
  const head = isSpooled(content) ? readSpooled(content, 0, MAX_RETURNED_HEADER_BYTES) : content.subarray(0, MAX_RETURNED_HEADER_BYTES);
  const end = findHeaderEnd(head);
  const headers = libmime.decodeHeaders(head.subarray(0, end).toString('binary'));
  const first = (key: string): string | null => {
    const values = headers[key];
    return values && values.length ? String(values[0]) : null;
  };
  const subject = first('subject');
  return {
    messageId: normalizeMessageId(first('message-id')),
    inReplyTo: normalizeMessageId(first('in-reply-to')),
    references: extractReferences((headers.references ?? []).join(' ')),
    subject: subject === null ? null : cleanLine(decodeBinaryWords(subject)),
  };
}

/** Decodes RFC 2047 words; raw 8-bit bytes are taken as UTF-8 (RFC 6532), which they almost always are here. */
function decodeBinaryWords(value: string): string {
  return libmime.decodeWords(Buffer.from(value, 'binary').toString('utf8'));
}

/** Offset of the blank line that ends a header section (CRLF or bare LF), or the whole buffer. */
function findHeaderEnd(buffer: Buffer): number {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  const candidates = [crlf, lf].filter((index) => index >= 0);
  return candidates.length ? Math.min(...candidates) : buffer.length;
}
