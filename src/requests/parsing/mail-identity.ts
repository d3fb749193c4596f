import { createHash } from 'node:crypto';
import { piecesOf, type MailBytes } from '../../core/spool/spooled-bytes';
import type { ParsedMail } from './parsed-mail';

/**
 * How a mail is keyed for exactly-once (design.md): its Message-ID, or the SHA-256 of its raw
 * bytes when it has none (so the same id-less mail fetched twice is still one message).
 */
export function identityOf(parsed: Pick<ParsedMail, 'messageId'> | null | undefined, raw: MailBytes): string {
  return parsed?.messageId ?? `sha256:${sha256Of(raw)}`;
}

/** Hex SHA-256 of bytes in memory or spooled (read a piece at a time). */
export function sha256Of(bytes: MailBytes): string {
  const hash = createHash('sha256');
  for (const piece of piecesOf(bytes, HASH_PIECE_BYTES, { reuse: true })) hash.update(piece);
  return hash.digest('hex');
}

const HASH_PIECE_BYTES = 1024 * 1024;
