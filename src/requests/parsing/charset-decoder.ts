import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
// libmime's decoder is mailparser's: same alias table (iso-8859-1 → windows-1252, as the
// WHATWG Encoding Standard and every browser do), and ISO-2022-JP through encoding-japanese,
// which iconv-lite lacks.
import { decode as libmimeDecode, normalizeCharset } from 'libmime/lib/charset';

/** Labels that mailparser reads as UTF-8 without transcoding: wrong whenever 8-bit bytes are not UTF-8. */
const UTF8_READ_LABELS = /^(?:utf-?8|(?:us-?)?ascii|7bit|8bit|binary)$/i;

/** Shift sequences of RFC 1468 ISO-2022-JP (JIS X 0208-1978/1983, JIS-Roman, JIS X 0212). */
const ISO_2022_JP_ESCAPES = [
  Buffer.from('\x1b$B', 'latin1'),
  Buffer.from('\x1b$@', 'latin1'),
  Buffer.from('\x1b(J', 'latin1'),
  Buffer.from('\x1b$(D', 'latin1'),
];

const REPLACEMENT_CHARACTER = '\uFFFD';
const LAST_RESORT_CHARSET = 'windows-1252';

export function isUtf8ReadLabel(label: string | null | undefined): boolean {
  return !label || UTF8_READ_LABELS.test(label.trim());
}

/** Whether a body in this charset can be decoded (libmime/iconv-lite know it, and it is no UTF-7 trick). */
export function isKnownCharset(label: string | null | undefined): boolean {
  if (!label) return false;
  const name = normalizeCharset(label);
  if (/^(?:jis|iso-?2022-?jp|eucjp)/i.test(name)) return true;
  // UTF-7 turns "+ADw-script+AD4-" into "<script>"; libmime refuses it, so do we.
  if (/^(?:(?:cs)?unicode11)?utf-?7/i.test(name.replace(/[^a-z0-9-]/gi, ''))) return false;
  return iconv.encodingExists(name);
}

export function hasIso2022JpEscapes(bytes: Buffer): boolean {
  if (!bytes.includes(0x1b)) return false;
  return ISO_2022_JP_ESCAPES.some((escape) => bytes.includes(escape));
}

/** Bytes outside 7-bit ASCII, or an ESC that may start an ISO-2022 shift: text that may be mis-read. */
export function needsCharsetCare(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte >= 0x80 || byte === 0x1b) return true;
  }
  return false;
}

/** Valid UTF-8 with no ISO-2022-JP shift in it: mailparser reads such bytes right as they are. */
export function isPlainUtf8(bytes: Buffer): boolean {
  return isUtf8(bytes) && !hasIso2022JpEscapes(bytes);
}

export interface DecodedText {
  text: string;
  /** The charset that was used, normalised (e.g. "windows-1252" for a body labelled ISO-8859-1). */
  charset: string;
}

/**
 * Decodes the bytes of one text body (or one raw header line) for which the declared label
 * cannot be trusted, in this order:
 *
 * 1. the declared charset, when it is a real one and decodes without U+FFFD;
 * 2. UTF-8, when the bytes are valid UTF-8 — the most common truth behind a missing,
 *    `us-ascii` or wrong label;
 * 3. ISO-2022-JP, when the bytes carry its escape sequences (Japanese mailers that omit the
 *    label; the bytes are 7-bit, so they pass for ASCII otherwise);
 * 4. the declared charset, or UTF-8 when none was declared, if the text is mostly that with
 *    a few damaged bytes: one corrupt byte must not turn a whole Chinese or Cyrillic text into
 *    Latin-1 mojibake;
 * 5. the mailbox's `fallbackCharset` (api.md: "for text parts that declare no charset or one
 *    that fails to decode"; default windows-1252, a superset of ISO-8859-1 in which every
 *    byte decodes).
 */
export function decodeWithFallback(bytes: Buffer, declared: string | null, fallbackCharset: string): DecodedText {
  const declaredIsReal = !!declared && !isUtf8ReadLabel(declared) && isKnownCharset(declared);
  const declaredText = declaredIsReal ? libmimeDecode(bytes, declared) : null;
  if (declaredText !== null && !declaredText.includes(REPLACEMENT_CHARACTER)) {
    return { text: declaredText, charset: normalizeCharset(declared) };
  }
  if (isPlainUtf8(bytes)) {
    return { text: stripByteOrderMark(bytes.toString('utf8')), charset: 'UTF-8' };
  }
  if (hasIso2022JpEscapes(bytes)) {
    return { text: libmimeDecode(bytes, 'ISO-2022-JP'), charset: 'ISO-2022-JP' };
  }
  if (declaredText !== null && isMostlyDecoded(declaredText)) {
    return { text: declaredText, charset: normalizeCharset(declared) };
  }
  const utf8Text = bytes.toString('utf8');
  if (declaredText === null && isMostlyDecoded(utf8Text)) {
    return { text: stripByteOrderMark(utf8Text), charset: 'UTF-8' };
  }
  const fallback = isKnownCharset(fallbackCharset) ? fallbackCharset : LAST_RESORT_CHARSET;
  return { text: libmimeDecode(bytes, fallback), charset: normalizeCharset(fallback) };
}

/**
 * More well-decoded non-ASCII characters than replacement characters: a text in that charset
 * with some damage. Legacy 8-bit text read as UTF-8 fails this, as its high bytes almost never
 * form valid UTF-8 sequences.
 */
function isMostlyDecoded(text: string): boolean {
  let replaced = 0;
  let decoded = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0xfffd) replaced++;
    else if (code > 0x7f) decoded++;
  }
  return decoded > replaced;
}

function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
