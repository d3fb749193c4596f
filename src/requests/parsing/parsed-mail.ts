import type { MailBytes } from '../../core/spool/spooled-bytes';
/**
 * A mail as the requests pipeline sees it: decoded, typed, and free of protocol and
 * library details (no mailparser header maps). Plain data only — no classes, no methods —
 * so that it can cross a worker-thread boundary with structured clone.
 */

/** One mailbox of an address header. RFC 2047 words in the display name are decoded. */
export interface MailAddress {
  /** Display name, decoded; null when the header gave none. */
  name: string | null;
  /** The addr-spec as written (case kept; compare case-insensitively). */
  email: string;
}

export interface ParsedAttachment {
  /**
   * Decoded file name (RFC 2231 parameter continuations and charsets, or RFC 2047 words
   * that Outlook puts in `name=`), reduced to a base name. Generated ("attachment-2.ics")
   * when the part names none, so that every stored attachment has one.
   */
  filename: string;
  /** Lower-case MIME type; for application/octet-stream mailparser guesses it from the name. */
  contentType: string;
  size: number;
  /** Content-ID without angle brackets, what `cid:` URLs in the HTML name. */
  contentId: string | null;
  /** An inline image (or other part) the HTML shows through `cid:` rather than a file to download. */
  inline: boolean;
  /** In memory, or in a spool file when large (core/spool): whoever holds the parsed mail last releases it. */
  content: MailBytes;
  /** Hex SHA-256 of `content`: identical attachments are stored once. */
  sha256: string;
}

/** Top-level Content-Type, parameters keyed by lower-case name. */
export interface ContentTypeValue {
  mimeType: string;
  params: Record<string, string>;
}

/**
 * The headers the loop check reads, each the raw (unfolded, trimmed) value of the first
 * occurrence, or null when absent. Named fields, not a string-keyed map, so a typo is a
 * compile error.
 */
export interface AutomationHeaders {
  /** RFC 3834 §5: `no`, `auto-generated`, `auto-replied`, `auto-notified`, plus parameters. */
  autoSubmitted: string | null;
  /** Not standardised (RFC 3834 §3.1.8 mentions it): `bulk`, `junk`, `list`, `auto_reply`. */
  precedence: string | null;
  /** Microsoft [MS-OXCMAIL] 2.2.3.2.14: senders asking not to be auto-answered (`All`, `OOF`, `DR`…). */
  autoResponseSuppress: string | null;
  /** RFC 2919 List-Id. */
  listId: string | null;
  /**
   * The envelope sender recorded at final delivery (RFC 5321 §4.4): the address without
   * angle brackets, '' for the null reverse-path `<>` that delivery reports use (§4.5.5).
   */
  returnPath: string | null;
  xAutoreply: string | null;
  xAutorespond: string | null;
  /** Exchange stamps which agent generated a mail, e.g. "Mailbox Rules Agent" for out-of-office replies. */
  msExchangeGeneratedMessageSource: string | null;
  /** Exchange inbox rules (out-of-office among them) name the mailbox whose rule answered. */
  msExchangeInboxRulesLoop: string | null;
}

/** What a multipart/report (RFC 6522) says about the message it reports on. */
export interface ReportedMessage {
  /** RFC 6522 `report-type`: `delivery-status` (RFC 3464 DSN), `disposition-notification` (read receipt)… */
  reportType: string | null;
  /** From the returned message or its headers (message/rfc822, text/rfc822-headers), when included. */
  original: {
    messageId: string | null;
    inReplyTo: string | null;
    references: string[];
    subject: string | null;
  } | null;
}

export interface ParsedMail {
  /** Message-ID without angle brackets, case kept (RFC 5322 §3.6.4: ids are opaque); null when none. */
  messageId: string | null;
  inReplyTo: string | null;
  /** References, oldest first, at most MAX_REFERENCES (the newest). */
  references: string[];
  /** Decoded; '' when the mail has none. */
  subject: string;
  from: MailAddress | null;
  sender: MailAddress | null;
  replyTo: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  /** Null when missing or not a date (mailparser would say "now"; a fake date misleads more than none). */
  date: Date | null;
  /** Plain text: the text/plain parts, or the HTML converted to text when there is none. */
  text: string;
  /**
   * The text/html parts as sent — UNSAFE, sanitize before storing or showing. Null when none,
   * and null in what the prepare steps hand on (prepared-fields.ts): `sanitizedHtml` is kept.
   */
  html: string | null;
  attachments: ParsedAttachment[];
  contentType: ContentTypeValue;
  automation: AutomationHeaders;
  /** Set for multipart/report mails (delivery status notifications, read receipts). */
  report: ReportedMessage | null;
  /** Things the parser noticed and worked around ("the MIME structure ends before its closing boundary"). */
  warnings: string[];
  /** Size of the raw mail in bytes. */
  size: number;
}
