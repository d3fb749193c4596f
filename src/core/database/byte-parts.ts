import type { EntityManager } from 'typeorm';
import { isSpooled, piecesOf, SpoolWriter, watchBytes, type MailBytes } from '../spool/spooled-bytes';
import type { Database } from './database';
import { copyParts, encodeKey, pgClientOf, type PartRow } from './copy-parts';
import { insertRows } from './insert-rows';

/**
 * Large byte values (attachment contents, quarantined mails) are stored as numbered parts of
 * at most PART_BYTES in a table of their own (key, part, content): the driver copies a
 * statement's parameters into one message, and a 25 MB value sent or read whole would be in
 * memory two or three times over. Written a statement per part, read a part at a time.
 */
export const PART_BYTES = 1024 * 1024;

/** Where the parts of one kind of value live: table, key column and the key's SQL type. */
export interface PartsTable {
  table: string;
  key: string;
  keyType: string;
}

/**
 * Inserts each value's parts, numbered from 0. An empty value is one empty part.
 *
 * On PostgreSQL one COPY carries them all, each part written to the socket as it is; parts
 * of spooled bytes are read one at a time into the same buffer. On PGlite (no COPY from a
 * client stream) small values share an INSERT, up to PART_BYTES of content per statement,
 * and a spooled value's parts go one per statement.
 */
export async function insertParts(em: EntityManager, where: PartsTable, values: ReadonlyArray<readonly [key: string, content: MailBytes]>): Promise<void> {
  // Nothing new (every attachment of a batch already stored): no statement, no round trip.
  if (values.length === 0) return;
  const client = pgClientOf(em);
  if (client) return copyParts(client, where.table, where.key, partRows(where, values));
  let statement: Array<[string, number, Buffer]> = [];
  let bytes = 0;
  const send = async () => {
    if (statement.length > 0) await insertRows(em, where.table, [[where.key, where.keyType], ['part', 'integer'], ['content', 'bytea']], statement);
    statement = [];
    bytes = 0;
  };
  for (const [key, content] of values) {
    let part = 0;
    for (const piece of partsOf(content, { reuse: true })) {
      if (bytes + piece.length > PART_BYTES) await send();
      statement.push([key, part++, piece]);
      bytes += piece.length;
      // A part read from a spool file shares its buffer with the next one: it is sent first.
      if (isSpooled(content)) await send();
    }
  }
  await send();
}

/** The COPY rows of `values`: each part read when the previous one has been written. */
function* partRows(where: PartsTable, values: ReadonlyArray<readonly [key: string, content: MailBytes]>): Generator<PartRow> {
  for (const [key, content] of values) {
    const encodedKey = encodeKey(key, where.keyType);
    let part = 0;
    for (const piece of partsOf(content, { reuse: true })) yield { key: encodedKey, part: part++, content: piece };
  }
}

/** The value in parts of PART_BYTES, each read when asked for (views, for bytes in memory). */
export function* partsOf(content: MailBytes, options: { reuse?: boolean } = {}): Generator<Buffer> {
  if (content.length === 0) return yield Buffer.alloc(0);
  yield* piecesOf(content, PART_BYTES, options);
}

/** How many parts a value has. */
export async function countParts(em: EntityManager, where: PartsTable, key: string): Promise<number> {
  const [row]: Array<{ parts: number }> = await em.query(`SELECT count(*)::int AS parts FROM "${where.table}" WHERE "${where.key}" = $1::${where.keyType}`, [key]);
  return Number(row?.parts ?? 0);
}

/** A value's parts in order, each read when the previous one has been taken (stored values never change). */
export async function* readParts(db: Database, where: PartsTable, key: string, parts: number): AsyncGenerator<Buffer> {
  for (let part = 0; part < parts; part++) {
    const rows: Array<{ content: Buffer | Uint8Array }> = await db.run((em) =>
      em.query(`SELECT content FROM "${where.table}" WHERE "${where.key}" = $1::${where.keyType} AND part = $2`, [key, part]),
    );
    if (rows.length === 0) throw new Error(`part ${part} of ${where.table} ${key} is missing`);
    const { content } = rows[0];
    yield Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
}

/** The whole value: in memory, or, above `spoolAboveBytes`, in a spool file the caller releases. */
export async function readWhole(db: Database, where: PartsTable, key: string, size: number, spoolAboveBytes: number): Promise<MailBytes> {
  const parts = await db.run((em) => countParts(em, where, key));
  if (size <= spoolAboveBytes) {
    const pieces: Buffer[] = [];
    for await (const piece of readParts(db, where, key, parts)) pieces.push(piece);
    return Buffer.concat(pieces);
  }
  const spool = new SpoolWriter();
  try {
    for await (const piece of readParts(db, where, key, parts)) spool.append(piece);
  } catch (error) {
    spool.discard();
    throw error;
  }
  return watchBytes(spool.finish());
}
