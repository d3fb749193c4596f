import crypto from 'node:crypto';
import { domainToASCII } from 'node:url';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWord, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import { InvalidInputError } from '../../core/errors';
import type { OutgoingSettings } from '../../mailboxes/mailbox.types';
import type { Envelope } from '../mail-transport.port';
import type { OutgoingAddress, OutgoingMail } from '../outbox.port';

/** Who the mail is from: the outgoing settings an admin fills in ("Sender name", "Reply-To"). */
export type SenderSettings = Pick<OutgoingSettings, 'senderName' | 'senderAddress' | 'replyTo'>;

export interface BuiltMime {
  raw: Buffer;
  /** Without angle brackets. */
  messageId: string;
  envelope: Envelope;
}

/**
 * Builds the finished MIME of one outgoing mail, once: the outbox stores these bytes and
 * every retry sends them unchanged. nodemailer's MailComposer does the MIME work (RFC 2047
 * encoded words for a non-ASCII subject or name, RFC 2231 attachment names, text + HTML as
 * multipart/alternative, CRLF line ends, 7-bit transfer encodings).
 */
export async function buildOutgoingMime(
  mail: OutgoingMail,
  sender: SenderSettings,
  options: { now?: Date; messageId?: string } = {},
): Promise<BuiltMime> {
  const senderAddress = sender.senderAddress?.trim();
  if (!senderAddress) throw new InvalidInputError('outgoing.senderAddress', 'is required to send mail');
  if (mail.to.length === 0) throw new InvalidInputError('to', 'needs at least one recipient');
  const messageId = options.messageId ?? newMessageId(senderAddress);
  const autoReply: Record<string, string> = mail.autoReply
    ? {
        // RFC 3834 §5: an automatic answer says so, and that it answers a message (auto-replied).
        'Auto-Submitted': 'auto-replied',
        // Exchange/Outlook's own switch: no out-of-office or read receipts back to us (loop guard).
        'X-Auto-Response-Suppress': 'All',
      }
    : {};
  const references = unique([...(mail.references ?? []), ...(mail.inReplyTo ? [mail.inReplyTo] : [])].map(bare).filter(Boolean), (id) => id);
  const composer = new MailComposer({
    headers: autoReply,
    from: sender.senderName?.trim() ? { name: oneLine(sender.senderName), address: senderAddress } : senderAddress,
    to: mail.to.map(toNodemailer),
    cc: mail.cc?.length ? mail.cc.map(toNodemailer) : undefined,
    replyTo: sender.replyTo?.trim() || undefined,
    subject: mail.subject,
    messageId: `<${messageId}>`,
    date: options.now ?? new Date(),
    // RFC 5322 §3.6.4: In-Reply-To names the parent; References carries the thread, oldest first, ending with the parent.
    inReplyTo: mail.inReplyTo ? `<${bare(mail.inReplyTo)}>` : undefined,
    references: references.length ? references.map((id) => `<${id}>`) : undefined,
    text: mail.text,
    html: mail.html ?? undefined,
    attachments: mail.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    newline: '\r\n',
    // Content comes from our own callers, never from a path or URL: refuse both outright.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = withQuotedSenderName(await composer.compile().build(), sender.senderName, senderAddress);
  const envelope: Envelope = { from: senderAddress, to: unique([...mail.to, ...(mail.cc ?? [])].map((a) => a.email.trim()), (email) => email.toLowerCase()) };
  return { raw, messageId, envelope };
}

/** RFC 5322 §3.6.4: a globally unique id; the right side is the mailbox's own domain. */
export function newMessageId(senderAddress: string): string {
  const domain = senderAddress.slice(senderAddress.lastIndexOf('@') + 1).toLowerCase();
  const asciiDomain = domainToASCII(domain) || domain;
  return `${Date.now().toString(36)}.${crypto.randomBytes(9).toString('hex')}@${asciiDomain}`;
}

/** `"Name" <address>`: a quoted string for ASCII names, an RFC 2047 encoded word otherwise. */
export function formatMailbox(name: string | null | undefined, address: string): string {
  const clean = oneLine(name ?? '');
  if (!clean) return address;
  const phrase = /^[\x20-\x7e]*$/.test(clean) ? quoteString(clean) : encodeWord(clean, 'Q', 52);
  return `${phrase} <${address}>`;
}

/**
 * MailComposer writes a plain-word display name bare (`Example Support <…>`), which is valid
 * RFC 5322 but not the `"Example Support" <…>` admins know from their helpdesk; and it
 * refuses prepared From headers. So the From line of the finished head is rewritten for
 * ASCII names (non-ASCII ones keep MailComposer's RFC 2047 encoded word).
 */
function withQuotedSenderName(raw: Buffer, name: string | null | undefined, address: string): Buffer {
  const clean = oneLine(name ?? '');
  if (!clean || !/^[\x20-\x7e]*$/.test(clean)) return raw;
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return raw;
  const from = foldLines(`From: ${formatMailbox(clean, address)}`, 76);
  const head = text.slice(0, end + 2).replace(/^From:.*\r\n(?:[ \t].*\r\n)*/m, () => `${from}\r\n`);
  return Buffer.from(head + text.slice(end + 2), 'latin1');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}

function toNodemailer(address: OutgoingAddress): { name: string; address: string } | string {
  return address.name?.trim() ? { name: address.name.trim(), address: address.email.trim() } : address.email.trim();
}

/** Message-IDs travel without brackets inside deskmail; accept either form. */
function bare(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}

/** First occurrence wins; Message-IDs compare exactly (RFC 5322 §3.6.4: opaque), addresses without case. */
function unique(values: string[], keyOf: (value: string) => string): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = keyOf(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
