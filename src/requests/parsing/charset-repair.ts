import { once } from 'node:events';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import type { MimeNode, SplitterChunk, SplitterOptions } from '@zone-eu/mailsplit';
import { decodeWithFallback, isPlainUtf8, isUtf8ReadLabel, needsCharsetCare } from './charset-decoder';

/**
 * The second, rare pass of `parseMail`: rewrites a mail so that every text body and every
 * header line is UTF-8, choosing the charset of each with `decodeWithFallback`.
 *
 * Why a rewrite: mailparser reads a text part without a charset (or labelled us-ascii /
 * utf-8) as UTF-8 and replaces what does not decode with U+FFFD, and it offers no hook for a
 * fallback charset — the bytes are gone by the time we see the text. So when the first
 * pass shows U+FFFD (or ISO-2022-JP escapes) we rewrite with mailsplit, the splitter
 * mailparser itself is built on, and parse again: its nodes decode and encode the transfer
 * encodings and rebuild the headers (nothing MIME is hand-written here). Attachments and
 * the multipart structure pass through byte for byte.
 */
export async function repairCharsets(
  raw: Buffer,
  fallbackCharset: string,
  options: { splitter: SplitterOptions; signal?: AbortSignal },
): Promise<Buffer> {
  const output: Buffer[] = [];
  await pipeline(
    Readable.from([raw]),
    new Splitter({ ...options.splitter, ignoreEmbedded: true }),
    new CharsetTranscoder(fallbackCharset),
    new Joiner(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        output.push(chunk);
        done();
      },
    }),
    { signal: options.signal },
  );
  return Buffer.concat(output);
}

/**
 * Rewrites, in the splitter's stream of nodes and body chunks, the header lines and the text
 * bodies whose bytes are not what their label says. (mailsplit's own Rewriter would do for the
 * bodies, but it sleeps 100 ms whenever its output buffer fills — seconds for a big body.)
 */
class CharsetTranscoder extends Transform {
  /** The text node whose body chunks are being collected. */
  private pending: { node: MimeNode; body: Buffer[] } | null = null;

  constructor(private readonly fallbackCharset: string) {
    super({ objectMode: true });
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, done: TransformCallback): void {
    this.forward(chunk).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.finishPending().then(() => done(), done);
  }

  private async forward(chunk: SplitterChunk): Promise<void> {
    if (this.pending && chunk.type === 'body' && chunk.node === this.pending.node) {
      this.pending.body.push(chunk.value);
      return;
    }
    await this.finishPending();
    if (chunk.type === 'node') {
      transcodeHeaderLines(chunk, this.fallbackCharset);
      if (isTextBody(chunk)) {
        this.pending = { node: chunk, body: [] };
        return;
      }
    }
    this.push(chunk);
  }

  /** Decodes the collected body, re-encodes it as UTF-8 in base64, and sends node and body on. */
  private async finishPending(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const { node } = pending;
    const bytes = await runThrough(node.getDecoder(), Buffer.concat(pending.body));
    const { text } = decodeWithFallback(bytes, node.charset || null, this.fallbackCharset);
    // format=flowed stays: mailparser undoes it on the transfer-decoded bytes, UTF-8 or not.
    node.setCharset('utf-8');
    const encoded = await runThrough(node.getEncoder('base64'), Buffer.from(text, 'utf8'));
    this.push(node);
    this.push({ node, type: 'body', value: Buffer.concat([encoded, Buffer.from('\r\n')]) });
  }
}

/** The parts mailparser shows as the mail's text: text/plain and text/html that are not attachments. */
function isTextBody(node: MimeNode): boolean {
  if (node.multipart) return false;
  // RFC 2045 §5.2: a part without Content-Type is text/plain.
  const contentType = node.contentType || 'text/plain';
  if (contentType !== 'text/plain' && contentType !== 'text/html') return false;
  return !node.disposition || node.disposition === 'inline';
}

/**
 * Rewrites header lines that carry raw 8-bit bytes which are not UTF-8 (RFC 6532 allows raw
 * UTF-8 only), or raw ISO-2022-JP, into UTF-8. A single-part mail's own body charset is the
 * best guess for its raw headers (old mailers write both in the same charset); otherwise the
 * mailbox fallback.
 */
function transcodeHeaderLines(node: MimeNode, fallbackCharset: string): void {
  if (!node.headers) return;
  const guess = node.charset && !isUtf8ReadLabel(node.charset) ? node.charset : null;
  const lines = node.headers.getList();
  for (let i = 0; i < lines.length; i++) {
    // mailsplit keeps header lines as binary strings: one char per byte.
    const bytes = Buffer.from(lines[i].line, 'latin1');
    if (!needsCharsetCare(bytes) || isPlainUtf8(bytes)) continue;
    const { text } = decodeWithFallback(bytes, guess, fallbackCharset);
    lines[i] = { key: lines[i].key, line: Buffer.from(text, 'utf8').toString('latin1') };
    node.headers.changed = true;
  }
}

async function runThrough(stream: NodeJS.ReadWriteStream, input: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(stream, 'end');
  stream.end(input);
  await ended;
  return Buffer.concat(chunks);
}
