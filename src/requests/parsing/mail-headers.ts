import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';
import type { AutomationHeaders, MailAddress } from './parsed-mail';

/** Long threads carry hundreds of References; the newest are the ones that thread (RFC 5322 §3.6.4 appends). */
export const MAX_REFERENCES = 100;
/** Longer "ids" are garbage or an attack on the unique index; such a mail is identified by its hash instead. */
const MAX_MESSAGE_ID_LENGTH = 500;

const ANGLE_ADDR_ID = /<([^<>\s]+)>/g;
const EMAIL_SPECIALS = /[\s<>"(),;:\\[\]]/;
/** Recovers an address from a header mailparser could not split (unbalanced quote, stray bracket). */
const LOOSE_ADDRESS = /[^\s<>"(),;:\\[\]@]+@[^\s<>"(),;:\\[\]@]+\.[^\s<>"(),;:\\[\]@]+/;
/** RFC 5322 §3.3 date-time as written in the wild: "3 Nov 2025 …" (day month year) or ISO 8601. */
const DATE_SHAPE = /\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{2,4}\b|\b\d{4}-\d{2}-\d{2}/i;

/** Strips NUL (PostgreSQL text refuses U+0000) and other C0 controls except tab and line breaks. */
export function cleanText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

/** One-line values (subject, names, filenames): no NUL, other controls as spaces, whitespace runs collapsed. */
export function cleanLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return cleanText(value).replace(/[\u0000-\u001F\u007F]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The unfolded, trimmed value of the first `key` header (mailparser keeps the raw lines in order). */
export function rawHeader(lines: HeaderLines, key: string): string | null {
  const found = lines.find((line) => line.key === key);
  if (!found) return null;
  const colon = found.line.indexOf(':');
  return found.line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ').trim();
}

/** Every `<id>` in a header value, brackets stripped; a bare id when the sender forgot the brackets. */
export function extractMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids = [...value.matchAll(ANGLE_ADDR_ID)].map((match) => match[1]);
  if (ids.length === 0) {
    const bare = value.trim();
    if (bare.includes('@') && !/\s/.test(bare)) ids.push(bare);
  }
  return ids.filter((id) => id.length <= MAX_MESSAGE_ID_LENGTH);
}

/**
 * A Message-ID as the pipeline keys it: the text between the angle brackets, case kept.
 * RFC 5322 §3.6.4 makes ids opaque (the local part is case-sensitive), and every MUA
 * copies them byte for byte into In-Reply-To/References, so trimming is all that is safe.
 */
export function normalizeMessageId(value: string | null | undefined): string | null {
  return extractMessageIds(value)[0] ?? null;
}

/** References, oldest first, capped to the newest MAX_REFERENCES, without duplicates. */
export function extractReferences(value: string | null | undefined): string[] {
  const unique = [...new Set(extractMessageIds(value))];
  return unique.slice(-MAX_REFERENCES);
}

export function isPlausibleEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return false;
  return !EMAIL_SPECIALS.test(email) && !email.slice(0, at).includes('@');
}

/**
 * The mailboxes of an address header, groups flattened, entries without a usable address
 * dropped. When mailparser found nothing usable, a loose match on the raw header recovers
 * the address (so `From: "Broken Quote <jane@example.org>` still has a requester).
 */
export function toMailAddresses(value: AddressObject | AddressObject[] | undefined, raw: string | null): MailAddress[] {
  const entries = (Array.isArray(value) ? value : value ? [value] : []).flatMap((object) => flatten(object.value));
  const addresses: MailAddress[] = [];
  for (const entry of entries) {
    const email = (entry.address ?? '').trim();
    if (!isPlausibleEmail(email)) continue;
    const name = cleanLine(entry.name ?? '').replace(/^["']+|["']+$/g, '').trim();
    addresses.push({ name: name && name !== email ? name : null, email });
  }
  if (addresses.length === 0 && raw) {
    const salvaged = LOOSE_ADDRESS.exec(raw);
    if (salvaged) addresses.push({ name: null, email: salvaged[0] });
  }
  return addresses;
}

function flatten(entries: EmailAddress[]): EmailAddress[] {
  return entries.flatMap((entry) => (entry.group ? flatten(entry.group) : [entry]));
}

/**
 * The Date header, or null when it is missing or not a date. mailparser substitutes "now"
 * for a date it cannot read, and V8 reads almost anything ("1" is 2001-01-01), so the value
 * must look like a date first.
 */
export function parseDateHeader(raw: string | null): Date | null {
  if (!raw || !DATE_SHAPE.test(raw)) return null;
  // RFC 5322 §3.3 allows a trailing comment such as "(CET)"; some writers put garbage there.
  const date = new Date(raw.replace(/\([^)]*\)\s*$/, '').trim());
  return Number.isNaN(date.getTime()) ? null : date;
}

export function readAutomationHeaders(lines: HeaderLines): AutomationHeaders {
  return {
    autoSubmitted: rawHeader(lines, 'auto-submitted'),
    precedence: rawHeader(lines, 'precedence'),
    autoResponseSuppress: rawHeader(lines, 'x-auto-response-suppress'),
    listId: rawHeader(lines, 'list-id'),
    returnPath: readReturnPath(rawHeader(lines, 'return-path')),
    xAutoreply: rawHeader(lines, 'x-autoreply'),
    xAutorespond: rawHeader(lines, 'x-autorespond'),
    msExchangeGeneratedMessageSource: rawHeader(lines, 'x-ms-exchange-generated-message-source'),
    msExchangeInboxRulesLoop: rawHeader(lines, 'x-ms-exchange-inbox-rules-loop'),
  };
}

/** `<>` (the null reverse-path) → '', `<a@b>` → 'a@b'. */
function readReturnPath(raw: string | null): string | null {
  if (raw === null) return null;
  const match = /<([^<>]*)>/.exec(raw);
  return (match ? match[1] : raw).trim();
}
