/**
 * Subjects and thread headers of the mail deskmail sends about a request (design.md,
 * "Outgoing": "the request token in the subject", In-Reply-To / References to the thread).
 * Pure functions, tested beside.
 */
const REPLY_PREFIX = /^\s*re\s*(?:\[\d+\]|\(\d+\))?\s*:/i;
/** References kept: the thread's first id (its root) and the newest ones; long chains only grow the header. */
export const MAX_OUTGOING_REFERENCES = 20;

export function requestToken(number: number): string {
  return `[##${number}##]`;
}

/**
 * `[##<number>##] Re: <subject>`: the token first, so no mail client's truncation or prefix
 * juggling loses it; "Re:" only once; a token already in the subject is not repeated.
 */
export function outgoingSubject(subject: string | null | undefined, number: number): string {
  const base = (subject ?? '').replace(/\s+/g, ' ').trim() || '(no subject)';
  const token = requestToken(number);
  const withoutToken = base.split(token).join(' ').replace(/\s+/g, ' ').trim() || '(no subject)';
  const reply = REPLY_PREFIX.test(withoutToken) ? withoutToken : `Re: ${withoutToken}`;
  return `${token} ${reply}`;
}

/**
 * RFC 5322 §3.6.4: the parent's References (or its In-Reply-To) followed by the parent's
 * Message-ID; trimmed to the root plus the newest ids.
 */
export function threadReferences(parent: { messageId: string | null; references: string[]; inReplyTo: string | null }): string[] {
  const chain = parent.references.length > 0 ? [...parent.references] : parent.inReplyTo ? [parent.inReplyTo] : [];
  if (parent.messageId) chain.push(parent.messageId);
  const unique = [...new Set(chain)];
  if (unique.length <= MAX_OUTGOING_REFERENCES) return unique;
  return [unique[0], ...unique.slice(-(MAX_OUTGOING_REFERENCES - 1))];
}
