import { createHash } from 'node:crypto';
import { MailParser } from 'mailparser';
import type { AttachmentStream, HeaderLines, Headers, MessageText, StructuredHeader } from 'mailparser';
import { Libmime } from 'libmime';
import { isPlainUtf8, needsCharsetCare } from './charset-decoder';
import { repairCharsets } from './charset-repair';
import { htmlToPlainText } from './html-text-fallback';
import { withDefaultLimits, type MailLimits } from './mail-limits';
import { RejectedMailError, TooComplexError, TooLargeError, UnparseableMailError } from './mail-errors';
import {
  cleanLine,
  cleanText,
  extractReferences,
  normalizeMessageId,
  parseDateHeader,
  rawHeader,
  readAutomationHeaders,
  toMailAddresses,
} from './mail-headers';
import type { ContentTypeValue, ParsedAttachment, ParsedMail } from './parsed-mail';
import { readReportedMessage } from './reported-message';

export interface ParseMailOptions {
  /** The mailbox's `fallbackCharset` (api.md; default windows-1252). */
  fallbackCharset: string;
  limits?: Partial<MailLimits>;
}

/** What one mailparser run yields, before it is turned into a ParsedMail. */
interface MailParserOutput {
  headers: Headers;
  headerLines: HeaderLines;
  text: string | null;
  html: string | null;
  textConversionError: Error | null;
  attachments: Array<Omit<AttachmentStream, 'content' | 'release'> & { content: Buffer }>;
}

const libmime = new Libmime();

/**
 * Parses one raw RFC 5322 mail with mailparser into a ParsedMail, within `limits`.
 *
 * Throws TooLargeError (before any parsing), TooComplexError (parts, attachments, nesting,
 * HTML size, deadline) or UnparseableMailError: the reasons quarantine shows. A mail whose
 * text decodes to U+FFFD is parsed a second time after `repairCharsets` applied the
 * mailbox's fallback charset to exactly the parts whose label was missing or wrong.
 */
export async function parseMail(raw: Buffer, options: ParseMailOptions): Promise<ParsedMail> {
  const limits = withDefaultLimits(options.limits);
  if (raw.length > limits.maxMailBytes) {
    throw new TooLargeError(`the mail is ${megabytes(raw.length)}; this mailbox accepts at most ${megabytes(limits.maxMailBytes)}`);
  }
  if (raw.length === 0) throw new UnparseableMailError('the mail is empty');

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), limits.parseDeadlineMs);
  try {
    const output = await runMailParser(raw, limits, deadline.signal);
    if (!output.headerLines.some((line) => line.key !== '')) throw new UnparseableMailError('the mail has no header section');
    // The top-level Content-Type is taken from the mail as sent: the repair relabels it UTF-8.
    const contentType = readContentType(output.headers);
    if (!needsCharsetRepair(output)) return toParsedMail(output, contentType, raw, limits);
    const splitter = { maxHeadSize: limits.maxHeaderBytes, maxChildNodes: limits.maxParts };
    const repaired = await repairCharsets(raw, options.fallbackCharset, { splitter, signal: deadline.signal });
    return toParsedMail(await runMailParser(repaired, limits, deadline.signal), contentType, raw, limits);
  } catch (error) {
    throw asRejectedMail(error, limits, deadline.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How a mail is keyed for exactly-once (design.md): its Message-ID, or the SHA-256 of its raw
 * bytes when it has none (so the same id-less mail fetched twice is still one message).
 */
export function identityOf(parsed: Pick<ParsedMail, 'messageId'> | null | undefined, raw: Buffer): string {
  return parsed?.messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

function runMailParser(raw: Buffer, limits: MailLimits, signal: AbortSignal): Promise<MailParserOutput> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      checksumAlgo: 'sha256',
      // Forwarded mails stay attachments (.eml) instead of being merged into the text.
      ignoreEmbedded: true,
      keepDeliveryStatus: false,
      maxChildNodes: limits.maxParts,
      maxHeadSize: limits.maxHeaderBytes,
      maxHtmlLengthToParse: limits.maxHtmlToTextChars,
      skipImageLinks: true,
      skipTextLinks: true,
      skipTextToHtml: true,
    });
    const output: MailParserOutput = {
      headers: new Map(),
      headerLines: [],
      text: null,
      html: null,
      textConversionError: null,
      attachments: [],
    };
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        parser.destroy();
        reject(error);
      } else {
        resolve(output);
      }
    };
    const onAbort = (): void => settle(new TooComplexError(`parsing took longer than ${limits.parseDeadlineMs / 1000} s`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    parser.on('headers', (headers) => (output.headers = headers));
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        output.text = data.text ?? null;
        output.html = data.html ?? null;
        output.textConversionError = data.textConversionError ?? null;
        return;
      }
      if (output.attachments.length >= limits.maxAttachments) {
        return settle(new TooComplexError(`the mail has more than ${limits.maxAttachments} attachments`));
      }
      collectAttachment(data, output, settle);
    });
    parser.on('error', (error: Error) => settle(error));
    parser.on('end', () => {
      output.headerLines = parser.headerLines || [];
      settle(null);
    });
    parser.end(raw);
  });
}

function collectAttachment(data: AttachmentStream, output: MailParserOutput, settle: (error: Error | null) => void): void {
  const chunks: Buffer[] = [];
  data.content.on('data', (chunk: Buffer) => chunks.push(chunk));
  data.content.on('error', (error: Error) => settle(error));
  data.content.on('end', () => {
    const { content: _stream, release, ...fields } = data;
    output.attachments.push({ ...fields, content: Buffer.concat(chunks) });
    // mailparser waits for release() before it parses on.
    release?.();
  });
}

/**
 * U+FFFD means bytes were lost to a wrong or missing charset label; ESC means undeclared
 * ISO-2022-JP; raw 8-bit header bytes that are not UTF-8 (RFC 6532) come from old mailers.
 */
function needsCharsetRepair(output: MailParserOutput): boolean {
  const suspicious = (value: string | null | undefined): boolean =>
    !!value && (value.includes('\uFFFD') || value.includes('\x1b'));
  const rawHeaderBytes = output.headerLines.some((line) => {
    const bytes = Buffer.from(line.line, 'latin1');
    return needsCharsetCare(bytes) && !isPlainUtf8(bytes);
  });
  return (
    rawHeaderBytes ||
    suspicious(output.text) ||
    suspicious(output.html) ||
    output.attachments.some((attachment) => suspicious(attachment.filename))
  );
}

function toParsedMail(output: MailParserOutput, contentType: ContentTypeValue, raw: Buffer, limits: MailLimits): ParsedMail {
  const { headers, headerLines } = output;
  const html = output.html ? cleanText(output.html) : null;
  if (html && html.length > limits.maxHtmlChars) {
    throw new TooComplexError(`the HTML body has ${html.length} characters; at most ${limits.maxHtmlChars} are accepted`);
  }
  const attachments = output.attachments.map((attachment, index): ParsedAttachment => {
    if (attachment.partId && attachment.partId.split('.').length > limits.maxPartDepth) {
      throw new TooComplexError(`MIME parts are nested more than ${limits.maxPartDepth} levels deep`);
    }
    const contentId = attachment.cid?.trim() || null;
    const type = attachment.contentType.toLowerCase();
    return {
      filename: safeFilename(attachment.filename, index, type),
      contentType: type,
      size: attachment.content.length,
      contentId,
      inline: !!contentId && (!!attachment.related || (html?.includes(`cid:${contentId}`) ?? false)),
      content: attachment.content,
      sha256: attachment.checksum || createHash('sha256').update(attachment.content).digest('hex'),
    };
  });
  const address = (key: 'from' | 'sender' | 'reply-to' | 'to' | 'cc') =>
    toMailAddresses(headers.get(key) as Parameters<typeof toMailAddresses>[0], rawHeader(headerLines, key));
  const warnings: string[] = [];
  if (output.textConversionError) warnings.push(`the HTML body was not converted to text: ${output.textConversionError.message}`);
  if (isUnclosedMultipart(contentType, raw)) warnings.push('the MIME structure ends before its closing boundary; the mail looks truncated');
  const subject = headers.get('subject');
  const text = output.text?.trim() ? output.text : html ? htmlToPlainText(html, limits, warnings) : '';

  return {
    messageId: normalizeMessageId(rawHeader(headerLines, 'message-id')),
    inReplyTo: normalizeMessageId(rawHeader(headerLines, 'in-reply-to')),
    references: extractReferences(rawHeader(headerLines, 'references')),
    subject: typeof subject === 'string' ? cleanLine(subject) : '',
    from: address('from')[0] ?? null,
    sender: address('sender')[0] ?? null,
    replyTo: address('reply-to')[0] ?? null,
    to: address('to'),
    cc: address('cc'),
    date: parseDateHeader(rawHeader(headerLines, 'date')),
    text: cleanText(text),
    html,
    attachments,
    contentType,
    automation: readAutomationHeaders(headerLines),
    report: readReportedMessage(contentType, attachments),
    warnings,
    size: raw.length,
  };
}

function readContentType(headers: Headers): ContentTypeValue {
  const value = headers.get('content-type') as StructuredHeader | undefined;
  if (!value || typeof value !== 'object' || !('value' in value)) return { mimeType: 'text/plain', params: {} };
  return { mimeType: value.value.toLowerCase(), params: { ...value.params } };
}

/** A multipart whose closing delimiter (RFC 2046 §5.1.1: "--boundary--") never comes. */
function isUnclosedMultipart(contentType: ContentTypeValue, raw: Buffer): boolean {
  const boundary = contentType.params.boundary;
  if (!contentType.mimeType.startsWith('multipart/') || !boundary) return false;
  return raw.lastIndexOf(`--${boundary}--`) < 0;
}

/** A base name without directories or control characters, at most 255 characters, extension kept. */
function safeFilename(given: string | undefined, index: number, contentType: string): string {
  let name = cleanLine(given ?? '').replace(/^.*[\\/]/, '');
  if (/^\.+$/.test(name)) name = '';
  if (!name) return `attachment-${index + 1}.${libmime.detectExtension(contentType) || 'bin'}`;
  if (name.length > 255) {
    const extension = /\.[^.]{1,16}$/.exec(name)?.[0] ?? '';
    name = name.slice(0, 255 - extension.length) + extension;
  }
  return name;
}

function asRejectedMail(error: unknown, limits: MailLimits, deadlinePassed: boolean): Error {
  if (error instanceof RejectedMailError) return error;
  if (deadlinePassed) return new TooComplexError(`parsing took longer than ${limits.parseDeadlineMs / 1000} s`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { code?: string } | null)?.code === 'EMAXLEN') {
    const what = /child nodes/i.test(message)
      ? `the mail has more than ${limits.maxParts} MIME parts`
      : `a MIME header section is bigger than ${limits.maxHeaderBytes} bytes`;
    return new TooComplexError(what, { cause: error });
  }
  return new UnparseableMailError(`the MIME structure could not be read: ${message}`, { cause: error });
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
