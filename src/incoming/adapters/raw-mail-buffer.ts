import { SpoolWriter, watchBytes, type MailBytes } from '../../core/spool/spooled-bytes';

/**
 * Collects one mail's raw bytes, as they arrive off the wire, into ONE buffer sized from
 * the size the server announced (IMAP RFC822.SIZE, POP3 LIST): no list of chunks plus a
 * concatenated copy, which briefly held a large mail twice (issue: "streamed, not held
 * several times over").
 *
 * The memory is a SharedArrayBuffer: handing the mail to a parse worker
 * (requests/parsing/prepare-worker-pool.ts) then shares these bytes instead of copying
 * them into the worker. Nobody writes to a mail once it is complete.
 *
 * A mail larger than `spoolAboveBytes` (announced, or found while it arrives) goes to a
 * spool file instead (core/spool): it then costs no memory at all on its way to the worker
 * and into the database. Whoever takes the mail releases it (releaseBytes); a download that
 * fails calls `discard`.
 */
export class RawMailBuffer {
  private bytes: Buffer;
  private filled = 0;
  private spool: SpoolWriter | null = null;

  /** `expectedBytes`: what the server announced; a wrong figure costs a copy, never bytes. */
  constructor(expectedBytes: number, private readonly spoolAboveBytes = Number.POSITIVE_INFINITY) {
    const announced = Number.isSafeInteger(expectedBytes) && expectedBytes > 0 ? expectedBytes : INITIAL_BYTES;
    if (announced > spoolAboveBytes) {
      this.spool = new SpoolWriter();
      this.bytes = Buffer.alloc(0);
    } else {
      this.bytes = sharedBuffer(Math.min(announced, MAX_ANNOUNCED_BYTES));
    }
  }

  get length(): number {
    return this.spool ? this.spool.length : this.filled;
  }

  append(chunk: Uint8Array): void {
    if (this.spool) return this.spool.append(chunk);
    if (this.filled + chunk.length > this.spoolAboveBytes) {
      this.spool = new SpoolWriter();
      this.spool.append(this.bytes.subarray(0, this.filled));
      this.bytes = Buffer.alloc(0);
      return this.spool.append(chunk);
    }
    const needed = this.filled + chunk.length;
    // A server that announced less than it sends (some count line ends differently): grow by half.
    if (needed > this.bytes.length) this.resize(Math.max(needed, Math.floor(this.bytes.length * 1.5)));
    this.bytes.set(chunk, this.filled);
    this.filled = needed;
  }

  /** The mail: spooled, or in memory. */
  toBytes(): MailBytes {
    return this.spool ? watchBytes(this.spool.finish()) : this.toBuffer();
  }

  /** Gives up a mail that did not arrive whole. */
  discard(): void {
    this.spool?.discard();
  }

  /** The mail in memory. Where the server announced much more than it sent, the rest is given back by a copy. */
  private toBuffer(): Buffer {
    if (this.bytes.length - this.filled > Math.max(SLACK_BYTES, this.filled / 16)) this.resize(this.filled);
    return this.filled === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.filled);
  }

  private resize(size: number): void {
    const next = sharedBuffer(size);
    this.bytes.copy(next, 0, 0, this.filled);
    this.bytes = next;
  }
}

/** First capacity when the server did not say how large the mail is. */
const INITIAL_BYTES = 64 * 1024;
/** A server's figure is believed up to this much; beyond it the buffer grows with what really arrives. */
const MAX_ANNOUNCED_BYTES = 256 * 1024 * 1024;
/** Unused capacity kept rather than copied away (the size figures of some servers are a little off). */
const SLACK_BYTES = 64 * 1024;

function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
