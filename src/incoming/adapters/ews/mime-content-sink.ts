import { releaseBytes, type MailBytes } from '../../../core/spool/spooled-bytes';
import { RawMailBuffer } from '../raw-mail-buffer';
import type { BodySink } from './https-exchange';

/**
 * A GetItem answer as it arrives: every `<…:MimeContent …>BASE64</…:MimeContent>` has its
 * base64 decoded on the way into a RawMailBuffer of its own (a spool file above
 * `spoolAboveBytes`), and the SOAP around it is kept with a short token in its place. So
 * the library parses a few kilobytes of XML instead of a 34 MB string (a 25 MB mail cost
 * ~250 MB of memory that way: the answer, its DOM, the base64 string, the bytes), and the
 * adapter swaps the token for the mail (`take`).
 *
 * Base64 holds no `<` and no `&`, so the element's text ends at the first `<`. Markup is
 * ASCII in any UTF-8 answer, so the scan works on bytes; only the tag name is looked at.
 */
export class MimeContentSink implements BodySink {
  private readonly xml: Buffer[] = [];
  private readonly mails: MailBytes[] = [];
  /** Bytes of a start tag cut by a chunk boundary, waiting for the rest. */
  private carry = '';
  private current: RawMailBuffer | null = null;
  private base64Rest = '';
  /** Decoded pieces land here and are copied on at once: no new ArrayBuffer per piece to wait for a GC. */
  private readonly scratch = Buffer.allocUnsafe((SCRATCH_CHARS / 4) * 3);

  constructor(
    /** Names this answer's tokens apart from any other answer's. */
    private readonly tokenPrefix: string,
    private readonly spoolAboveBytes: number,
    /** The sizes the listing gave, in the order of the items asked for: a big mail spools from its first byte. */
    private readonly expectedSizes: readonly number[] = [],
  ) {}

  append(chunk: Uint8Array): void {
    // latin1 maps each byte to one char and back: nothing outside the base64 is altered.
    let text = this.carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    this.carry = '';
    while (text.length > 0) {
      if (this.current) {
        const end = text.indexOf('<');
        this.decode(end < 0 ? text : text.slice(0, end));
        if (end < 0) return;
        this.finishMail();
        text = text.slice(end);
        continue;
      }
      const start = START_TAG.exec(text);
      if (!start) {
        // Keep a tail that may be the beginning of a start tag cut by the chunk boundary.
        const open = text.lastIndexOf('<');
        const keepFrom = open >= 0 && text.length - open <= MAX_START_TAG ? open : text.length;
        this.keepXml(text.slice(0, keepFrom));
        this.carry = text.slice(keepFrom);
        return;
      }
      const tagEnd = start.index + start[0].length;
      this.keepXml(text.slice(0, tagEnd));
      if (start[0].endsWith('/>')) {
        text = text.slice(tagEnd);
        continue;
      }
      this.keepXml(`${this.tokenPrefix}${this.mails.length}`);
      this.current = new RawMailBuffer(this.expectedSizes[this.mails.length] ?? 0, this.spoolAboveBytes);
      text = text.slice(tagEnd);
    }
  }

  /** The SOAP answer with tokens for the mails. */
  toBytes(): Buffer {
    if (this.current) throw new Error('the EWS answer ended inside a MimeContent element');
    this.keepXml(this.carry);
    this.carry = '';
    return Buffer.concat(this.xml);
  }

  discard(): void {
    this.current?.discard();
    this.current = null;
    for (const mail of this.mails) releaseBytes(mail);
    this.mails.length = 0;
    this.xml.length = 0;
  }

  /** The mails of this answer by token, for the adapter to take; the caller releases what it leaves. */
  decodedMails(): Map<string, MailBytes> {
    return new Map(this.mails.map((mail, index) => [`${this.tokenPrefix}${index}`, mail]));
  }

  private keepXml(text: string): void {
    if (text) this.xml.push(Buffer.from(text, 'latin1'));
  }

  /** Decodes whole 4-character groups as they come; line breaks inside the base64 are skipped. */
  private decode(text: string): void {
    const characters = this.base64Rest + text.replace(/\s+/g, '');
    const whole = characters.length - (characters.length % 4);
    this.base64Rest = characters.slice(whole);
    for (let at = 0; at < whole; at += SCRATCH_CHARS) this.appendDecoded(characters.slice(at, Math.min(whole, at + SCRATCH_CHARS)));
  }

  private appendDecoded(base64: string): void {
    const length = this.scratch.write(base64, 0, 'base64');
    this.current!.append(this.scratch.subarray(0, length));
  }

  private finishMail(): void {
    if (this.base64Rest) this.appendDecoded(this.base64Rest);
    this.base64Rest = '';
    this.mails.push(this.current!.toBytes());
    this.current = null;
  }
}

/** `<t:MimeContent CharacterSet="UTF-8">` with any namespace prefix, or none. */
const START_TAG = /<(?:[\w.-]+:)?MimeContent(?:\s[^<>]*)?\/?>/;
/** Base64 characters decoded at a time (a multiple of 4). */
const SCRATCH_CHARS = 64 * 1024;
/** Longer than any MimeContent start tag (its only attribute is CharacterSet). */
const MAX_START_TAG = 256;
