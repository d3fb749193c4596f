import type { ClientBase } from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';

/**
 * `COPY … FROM STDIN (FORMAT binary)` of (key, part, content) rows on PostgreSQL.
 *
 * Why not a parameterised INSERT: node-postgres copies every parameter into one protocol
 * message, so a 1 MiB part became a fresh 1 MiB buffer per statement, garbage that piled up
 * to 25 MB while a 25 MB mail was stored (V8 frees it only at its next collection). COPY
 * writes each part to the socket as it is; the caller may reuse the part's buffer once its
 * write has finished.
 */

/** One row of the COPY: the value's key, the part's number, the part's bytes. */
export interface PartRow {
  key: Buffer;
  part: number;
  content: Buffer;
}

/** The binary encodings this module writes for a key column, by its SQL type. */
const KEY_ENCODERS: Record<string, (key: string) => Buffer> = {
  uuid: (key) => {
    const hex = key.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`"${key}" is not a uuid`);
    return Buffer.from(hex, 'hex');
  },
  varchar: (key) => Buffer.from(key, 'utf8'),
};

/** A key in the binary COPY format of its column type (uuid or varchar). */
export function encodeKey(key: string, keyType: string): Buffer {
  const encode = KEY_ENCODERS[keyType];
  if (!encode) throw new Error(`keys of type ${keyType} cannot be copied in binary`);
  return encode(key);
}

/** PostgreSQL's binary COPY header: signature, flags 0, no header extension. */
const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** Rows with less content than this are written in one piece with their head. */
const GATHER_BELOW_BYTES = 64 * 1024;
/** A field count of -1 ends the data. */
const COPY_TRAILER = Buffer.from([0xff, 0xff]);

/** Everything of a row but its content: field count, key, part number, content length. */
function rowHead({ key, part, content }: PartRow): Buffer {
  const head = Buffer.allocUnsafe(2 + 4 + key.length + 4 + 4 + 4);
  let at = head.writeInt16BE(3, 0);
  at = head.writeInt32BE(key.length, at);
  at += key.copy(head, at);
  at = head.writeInt32BE(4, at);
  at = head.writeInt32BE(part, at);
  head.writeInt32BE(content.length, at);
  return head;
}

/**
 * node-postgres's client behind a TypeORM entity manager that runs in a transaction (the
 * only place parts are written), or null: PGlite, or no query runner of its own.
 */
export function pgClientOf(em: EntityManager): ClientBase | null {
  const connection = (em.queryRunner as { databaseConnection?: unknown } | undefined)?.databaseConnection as
    | (ClientBase & { connection?: { stream?: unknown } })
    | undefined;
  return connection && typeof connection.query === 'function' && connection.connection?.stream ? connection : null;
}

/**
 * Streams `rows` into `table` (key column `keyColumn`, then `part`, `content`) with one COPY.
 * Each row's content is written when the previous row's write has finished, so `rows` may
 * yield the same buffer again with new bytes. A failure on either side aborts the COPY
 * (PostgreSQL rolls the statement back) and is thrown.
 */
export async function copyParts(client: ClientBase, table: string, keyColumn: string, rows: Iterable<PartRow>): Promise<void> {
  const copy = client.query(copyFrom(`COPY "${table}" ("${keyColumn}", "part", "content") FROM STDIN (FORMAT binary)`));
  let ended = false;
  const failed = new Promise<never>((_, reject) =>
    copy.once('error', (error) => {
      ended = true;
      reject(error);
    }),
  );
  failed.catch(() => undefined);
  const write = (chunk: Buffer) => Promise.race([writeChunk(copy, chunk), failed]);
  try {
    await write(COPY_HEADER);
    for (const row of rows) {
      // A small row goes in one write (a socket write each costs more than the copy); a
      // large part is written as it is, after its head.
      if (row.content.length < GATHER_BELOW_BYTES) {
        await write(Buffer.concat([rowHead(row), row.content]));
      } else {
        await write(rowHead(row));
        await write(row.content);
      }
    }
    await write(COPY_TRAILER);
    const finished = new Promise<void>((resolve) => copy.once('finish', resolve));
    copy.end();
    await Promise.race([finished, failed]);
  } catch (error) {
    // Our side failed (a spool file could not be read): CopyFail, and the server ends the
    // COPY with an error. When the server refused, the COPY is over already.
    if (!ended && !copy.writableFinished) {
      copy.destroy(error as Error);
      await failed.catch(() => undefined);
    }
    throw error;
  }
}

function writeChunk(copy: CopyStreamQuery, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => copy.write(chunk, (error) => (error ? reject(error) : resolve())));
}
