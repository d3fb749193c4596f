import { collectGarbageEvery } from '../../core/config/v8-heap';
import { isSpooled, readSpooled, releaseBytes, SpoolWriter, streamOf, wholeBytes, type MailBytes } from '../../core/spool/spooled-bytes';
import { MailParser } from 'mailparser';
import type { AttachmentStream, HeaderLines, Headers, MessageText, StructuredHeader } from 'mailparser';
import { Libmime } from 'libmime';
import { isPlainUtf8, needsCharsetCare } from './charset-decoder';
import { repairCharsets } from './charset-repair';
import { htmlToPlainText } from './html-text-fallback';
import { tooLargeFor, withDefaultLimits, type MailLimits } from './mail-limits';
import { RejectedMailError, TooComplexError, UnparseableMailError } from './mail-errors';
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
import { sha256Of } from './mail-identity';
import type { ContentTypeValue, ParsedAttachment, ParsedMail } from './parsed-mail';
import { readReportedMessage } from './reported-message';

export interface ParseMailOptions {
  /** The mailbox's `fallbackCharset` (api.md; default windows-1252). */
  fallbackCharset: string;
  limits?: Partial<MailLimits>;
  /** An attachment larger than this is decoded into a spool file instead of memory (default: never). */
  spoolAboveBytes?: number;
}

/** What one mailparser run yields, before it is turned into a ParsedMail. */
interface MailParserOutput {
  headers: Headers;
  headerLines: HeaderLines;
  text: string | null;
  html: string | null;
  textConversionError: Error | null;
  attachments: Array<Omit<AttachmentStream, 'content' | 'release'> & { content: MailBytes }>;
  /** Attachments being spooled right now: a run that stops half way gives them up. */
  spooling: Set<SpoolWriter>;
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
export async function parseMail(raw: MailBytes, options: ParseMailOptions): Promise<ParsedMail> {
  const limits = withDefaultLimits(options.limits);
  const tooLarge = tooLargeFor(raw.length, limits);
  if (tooLarge) throw tooLarge;
  if (raw.length === 0) throw new UnparseableMailError('the mail is empty');

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), limits.parseDeadlineMs);
  const spoolAboveBytes = options.spoolAboveBytes ?? Number.POSITIVE_INFINITY;
  const outputs: MailParserOutput[] = [];
  try {
    const output = await runMailParser(raw, limits, deadline.signal, spoolAboveBytes, outputs);
    if (!output.headerLines.some((line) => line.key !== '')) throw new UnparseableMailError('the mail has no header section');
    // The top-level Content-Type is taken from the mail as sent: the repair relabels it UTF-8.
    const contentType = readContentType(output.headers);
    if (!needsCharsetRepair(output)) return toParsedMail(output, contentType, raw, limits);
    const splitter = { maxHeadSize: limits.maxHeaderBytes, maxChildNodes: limits.maxParts };
    // Rare (wrong charset labels), so a spooled mail is read into memory for it.
    const repaired = await repairCharsets(wholeBytes(raw), options.fallbackCharset, { splitter, signal: deadline.signal });
    releaseAttachments(output);
    return toParsedMail(await runMailParser(repaired, limits, deadline.signal, spoolAboveBytes, outputs), contentType, raw, limits);
  } catch (error) {
    for (const output of outputs) releaseAttachments(output);
    throw asRejectedMail(error, limits, deadline.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One mailparser run. `outputs` collects every run's output, so that a failure can release
 * the attachments already spooled.
 */
function runMailParser(raw: MailBytes, limits: MailLimits, signal: AbortSignal, spoolAboveBytes: number, outputs: MailParserOutput[]): Promise<MailParserOutput> {
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
      spooling: new Set(),
    };
    outputs.push(output);
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
      collectAttachment(data, output, settle, spoolAboveBytes);
    });
    parser.on('error', (error: Error) => settle(error));
    parser.on('end', () => {
      output.headerLines = parser.headerLines || [];
      settle(null);
    });
    if (!isSpooled(raw)) return parser.end(raw);
    // A spooled mail is read a piece at a time: it is never whole in this thread's memory,
    // and the garbage its pieces leave is collected as it goes (on a parse worker).
    const pieces = streamOf(raw);
    pieces.on('data', collectGarbageEvery(SPOOLED_COLLECT_EVERY_BYTES));
    pieces.on('error', (error: Error) => settle(error));
    pieces.pipe(parser);
  });
}

/**
 * An attachment's decoded bytes: in memory, or, once they pass `spoolAboveBytes`, in a spool
 * file (the pieces so far go first), so a 20 MB attachment is never held here, nor once more
 * as the concatenation of its pieces.
 */
function collectAttachment(data: AttachmentStream, output: MailParserOutput, settle: (error: Error | null) => void, spoolAboveBytes: number): void {
  let chunks: Buffer[] = [];
  let inMemory = 0;
  let spool: SpoolWriter | null = null;
  data.content.on('data', (chunk: Buffer) => {
    if (spool) return spool.append(chunk);
    chunks.push(chunk);
    inMemory += chunk.length;
    if (inMemory <= spoolAboveBytes) return;
    spool = new SpoolWriter();
    output.spooling.add(spool);
    for (const piece of chunks) spool.append(piece);
    chunks = [];
  });
  data.content.on('error', (error: Error) => settle(error));
  data.content.on('end', () => {
    const { content: _stream, release, ...fields } = data;
    if (spool) output.spooling.delete(spool);
    output.attachments.push({ ...fields, content: spool ? spool.finish() : Buffer.concat(chunks) });
    // mailparser waits for release() before it parses on.
    release?.();
  });
}

function releaseAttachments(output: MailParserOutput): void {
  for (const attachment of output.attachments) releaseBytes(attachment.content);
  for (const spool of output.spooling) spool.discard();
  output.spooling.clear();
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

function toParsedMail(output: MailParserOutput, contentType: ContentTypeValue, raw: MailBytes, limits: MailLimits): ParsedMail {
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
      sha256: attachment.checksum || sha256Of(attachment.content),
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

/**
 * A multipart whose closing delimiter (RFC 2046 §5.1.1: "--boundary--") never comes. Of a
 * spooled mail the last 64 KB are searched: an epilogue longer than that is not mail.
 */
function isUnclosedMultipart(contentType: ContentTypeValue, raw: MailBytes): boolean {
  const boundary = contentType.params.boundary;
  if (!contentType.mimeType.startsWith('multipart/') || !boundary) return false;
  const tail = isSpooled(raw) ? readSpooled(raw, Math.max(0, raw.length - SPOOLED_TAIL_BYTES)) : raw;
  return tail.lastIndexOf(`--${boundary}--`) < 0;
}

const SPOOLED_TAIL_BYTES = 64 * 1024;
/** How much of a spooled mail is parsed between two garbage collections on a parse worker. */
const SPOOLED_COLLECT_EVERY_BYTES = 1024 * 1024;

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

