import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

/**
 * Bytes kept in a temporary file instead of memory: a large mail on its way from the server
 * through a parse worker into the database, or one of its large attachments. Holding such
 * a mail in memory costs its size at every step that keeps a copy (issue 5: "streamed, not
 * held several times over"); in a file it costs the page cache, which is not the process's.
 *
 * The file is unlinked as soon as it is open: only the descriptor names it, so nothing is
 * left on disk when the process dies, however it dies. Descriptors belong to the process,
 * so a worker thread reads the same bytes through the same number; every read is positional
 * (no shared file offset). This is plain data: it crosses postMessage as it is.
 */
export interface SpooledBytes {
  readonly spooledFd: number;
  /** The file's inode: a descriptor number can be reused once closed; the inode tells. */
  readonly inode: number;
  readonly length: number;
}

/** A mail's or an attachment's bytes: in memory, or spooled to a file when large. */
export type MailBytes = Buffer | SpooledBytes;

export function isSpooled(bytes: MailBytes | Uint8Array): bytes is SpooledBytes {
  return !ArrayBuffer.isView(bytes) && typeof (bytes as SpooledBytes).spooledFd === 'number';
}

/** Pieces smaller than this are gathered before they are written. */
const WRITE_BYTES = 256 * 1024;

/**
 * Writes bytes into a new spool file, appending. Small pieces (a POP3 message arrives line by
 * line) are gathered into WRITE_BYTES before they go to the file: one system call per 256 KB,
 * not two per line.
 */
export class SpoolWriter {
  private readonly fd: number;
  private readonly inode: number;
  private written = 0;
  private readonly pending = Buffer.allocUnsafe(WRITE_BYTES);
  private pendingBytes = 0;

  /** `directory`: the system's temporary directory (TMPDIR) unless given. */
  constructor(directory = os.tmpdir()) {
    const file = path.join(directory, `deskmail-spool-${process.pid}-${randomUUID()}`);
    this.fd = fs.openSync(file, 'wx+', 0o600);
    fs.unlinkSync(file);
    this.inode = fs.fstatSync(this.fd).ino;
    observer?.('open', { spooledFd: this.fd, inode: this.inode });
  }

  get length(): number {
    return this.written + this.pendingBytes;
  }

  append(chunk: Uint8Array): void {
    if (this.pendingBytes + chunk.length > WRITE_BYTES) this.flush();
    if (chunk.length >= WRITE_BYTES) return this.write(chunk);
    this.pending.set(chunk, this.pendingBytes);
    this.pendingBytes += chunk.length;
  }

  /** The bytes written; whoever takes them closes them with releaseBytes. */
  finish(): SpooledBytes {
    this.flush();
    return { spooledFd: this.fd, inode: this.inode, length: this.written };
  }

  /** Gives up the bytes (a download that failed half way). */
  discard(): void {
    this.pendingBytes = 0;
    releaseBytes(this.finish());
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const pending = this.pending.subarray(0, this.pendingBytes);
    this.pendingBytes = 0;
    this.write(pending);
  }

  private write(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
    this.written += bytes.length;
  }
}

/** Bytes `start` to `end` (exclusive) of spooled bytes, read now (into `into` when given, which must be large enough). */
export function readSpooled(bytes: SpooledBytes, start = 0, end = bytes.length, into?: Buffer): Buffer {
  const length = Math.max(0, Math.min(end, bytes.length) - start);
  const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  for (let done = 0; done < length; ) {
    const read = fs.readSync(bytes.spooledFd, out, done, length - done, start + done);
    if (read === 0) throw new Error(`the spool file ended after ${start + done} of ${bytes.length} bytes`);
    done += read;
  }
  return out;
}

/**
 * The bytes in pieces of at most `pieceBytes`, each read when asked for. With `reuse`, the
 * pieces of spooled bytes are read into one buffer, each over the one before: for consumers
 * done with a piece before they ask for the next (a hash, a statement that was awaited), so
 * a 25 MB mail does not leave 25 MB of pieces for the garbage collector.
 */
export function* piecesOf(bytes: MailBytes, pieceBytes: number, options: { reuse?: boolean } = {}): Generator<Buffer> {
  const scratch = options.reuse && isSpooled(bytes) ? Buffer.allocUnsafe(Math.min(pieceBytes, bytes.length)) : undefined;
  for (let start = 0; start < bytes.length; start += pieceBytes) {
    const end = Math.min(bytes.length, start + pieceBytes);
    yield isSpooled(bytes) ? readSpooled(bytes, start, end, scratch) : bytes.subarray(start, end);
  }
}

/** A stream of the bytes, read a piece at a time. */
export function streamOf(bytes: MailBytes, pieceBytes = 256 * 1024): Readable {
  return Readable.from(piecesOf(bytes, pieceBytes), { objectMode: false });
}

/** All the bytes in memory: for the rare paths that need a whole mail at once (charset repair, quarantine). */
export function wholeBytes(bytes: MailBytes): Buffer {
  return isSpooled(bytes) ? readSpooled(bytes) : bytes;
}

/**
 * Closes spooled bytes (the file goes with its descriptor); nothing for bytes in memory.
 * Closing twice is harmless: a descriptor number reused since then names another inode and
 * is left alone.
 */
export function releaseBytes(bytes: MailBytes | null | undefined): void {
  if (!bytes || !isSpooled(bytes)) return;
  unwatch(bytes);
  try {
    if (fs.fstatSync(bytes.spooledFd).ino !== bytes.inode) return;
    fs.closeSync(bytes.spooledFd);
    observer?.('close', bytes);
  } catch {
    // already closed
  }
}

/** Who is told when this thread opens or closes a spool file. */
export type SpoolObserver = (event: 'open' | 'close', spool: Pick<SpooledBytes, 'spooledFd' | 'inode'>) => void;

let observer: SpoolObserver | null = null;

/**
 * A parse worker reports the spool files it opens and closes to the pool: descriptors are the
 * process's, so when a worker dies half way through a mail, the pool closes what it left open.
 */
export function observeSpools(next: SpoolObserver | null): void {
  observer = next;
}

/**
 * A backstop for spooled bytes whose holder forgot them (a fetch that failed half way): the
 * descriptor is closed when the object is collected. Only the thread that will release the
 * bytes watches them: a worker hands its spools over and must not close them when its copy
 * of the object goes.
 */
const forgotten = new FinalizationRegistry<{ fd: number; inode: number }>(({ fd, inode }) =>
  releaseBytes({ spooledFd: fd, inode, length: 0 }),
);

export function watchBytes<T extends MailBytes>(bytes: T): T {
  if (isSpooled(bytes)) forgotten.register(bytes, { fd: bytes.spooledFd, inode: bytes.inode }, bytes);
  return bytes;
}

function unwatch(bytes: SpooledBytes): void {
  forgotten.unregister(bytes);
}
