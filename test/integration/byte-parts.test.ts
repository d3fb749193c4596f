import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { insertParts, PART_BYTES, readWhole, type PartsTable } from '../../src/core/database/byte-parts';
import { pgClientOf } from '../../src/core/database/copy-parts';
import type { Database } from '../../src/core/database/database';
import { isSpooled, releaseBytes, SpoolWriter, type MailBytes } from '../../src/core/spool/spooled-bytes';
import { openTestDatabase } from '../support/database';

const BY_UUID: PartsTable = { table: 'probe_uuid_part', key: 'owner', keyType: 'uuid' };
const BY_NAME: PartsTable = { table: 'probe_name_part', key: 'name', keyType: 'varchar' };

/** Bytes whose every part differs from the others (251 is prime, PART_BYTES a power of two). */
function patterned(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i + seed) % 251));
}

function spooled(content: Buffer): MailBytes {
  const spool = new SpoolWriter();
  spool.append(content);
  return spool.finish();
}

/** A migrated database with the probe tables for the suite it is called in; the getter works once `before` ran. */
function probeDatabase(kind: 'postgres' | 'embedded'): () => Database {
  let opened: Awaited<ReturnType<typeof openTestDatabase>> | null = null;
  before(async () => {
    opened = await openTestDatabase(kind);
    await opened.db.run((em) => em.query('CREATE TABLE probe_uuid_part (owner uuid, part integer, content bytea NOT NULL, PRIMARY KEY (owner, part))'));
    await opened.db.run((em) => em.query('CREATE TABLE probe_name_part (name varchar, part integer, content bytea NOT NULL, PRIMARY KEY (name, part))'));
  });
  after(() => opened?.close());
  return () => opened!.db;
}

async function partSizes(db: Database, where: PartsTable, key: string): Promise<number[]> {
  const rows: Array<{ size: number }> = await db.run((em) =>
    em.query(`SELECT length(content)::int AS size FROM "${where.table}" WHERE "${where.key}" = $1::${where.keyType} ORDER BY part`, [key]),
  );
  return rows.map((row) => row.size);
}

/** The tests both databases must pass: what goes in as parts comes back whole, byte for byte. */
function roundTrips(database: () => Database): void {
  it('stores empty, small, multi-part and spooled values as numbered parts and reads each back byte for byte', async () => {
    const db = database();
    const values: Array<[string, Buffer, boolean]> = [
      ['00000000-0000-4000-8000-00000000000a', Buffer.alloc(0), false],
      ['00000000-0000-4000-8000-00000000000b', patterned(1000, 1), false],
      ['00000000-0000-4000-8000-00000000000c', patterned(2 * PART_BYTES + 17, 2), false],
      ['00000000-0000-4000-8000-00000000000d', patterned(3 * PART_BYTES + 5, 3), true],
    ];
    const contents = values.map(([key, content, spool]) => [key, spool ? spooled(content) : content] as const);
    try {
      await db.transaction((em) => insertParts(em, BY_UUID, contents));
    } finally {
      for (const [, content] of contents) releaseBytes(content);
    }
    assert.deepEqual(await partSizes(db, BY_UUID, values[0][0]), [0], 'an empty value is one empty part');
    assert.deepEqual(await partSizes(db, BY_UUID, values[2][0]), [PART_BYTES, PART_BYTES, 17]);
    assert.deepEqual(await partSizes(db, BY_UUID, values[3][0]), [PART_BYTES, PART_BYTES, PART_BYTES, 5]);
    for (const [key, content] of values) {
      const back = await readWhole(db, BY_UUID, key, content.length, Number.POSITIVE_INFINITY);
      assert.ok(!isSpooled(back) && back.equals(content), `value ${key} comes back unchanged`);
    }
  });

  it('keys parts by a varchar as well (attachment contents are keyed by their SHA-256)', async () => {
    const db = database();
    const content = patterned(PART_BYTES + 3, 9);
    await db.transaction((em) => insertParts(em, BY_NAME, [['9f86d081884c7d65', content]]));
    const back = await readWhole(db, BY_NAME, '9f86d081884c7d65', content.length, Number.POSITIVE_INFINITY);
    assert.ok(!isSpooled(back) && back.equals(content));
  });
}

describe('byte parts on PostgreSQL (COPY … FROM STDIN, binary)', () => {
  const database = probeDatabase('postgres');
  let db: Database;
  before(() => (db = database()));

  it('writes through node-postgres COPY inside a transaction', async () => {
    assert.ok(await db.transaction(async (em) => pgClientOf(em) !== null));
  });

  roundTrips(database);

  it('fails with the server\'s error when PostgreSQL refuses a row, stores nothing, and the connection stays usable', async () => {
    const key = '00000000-0000-4000-8000-0000000000e1';
    await assert.rejects(
      db.transaction((em) => insertParts(em, BY_UUID, [[key, Buffer.from('first')], [key, Buffer.from('same key, same part 0')]])),
      /duplicate key value violates unique constraint/,
    );
    assert.deepEqual(await partSizes(db, BY_UUID, key), []);
    await db.transaction((em) => insertParts(em, BY_UUID, [[key, Buffer.from('again')]]));
    assert.deepEqual(await partSizes(db, BY_UUID, key), [5]);
  });

  it('aborts the COPY when a part cannot be read (a spool file closed under it), stores nothing, and the connection stays usable', async () => {
    const key = '00000000-0000-4000-8000-0000000000e2';
    const gone = spooled(patterned(2 * PART_BYTES, 4));
    releaseBytes(gone);
    await assert.rejects(db.transaction((em) => insertParts(em, BY_UUID, [[key, gone]])), /EBADF|bad file descriptor/i);
    assert.deepEqual(await partSizes(db, BY_UUID, key), []);
    const [row]: Array<{ one: number }> = await db.run((em) => em.query('SELECT 1 AS one'));
    assert.equal(row.one, 1);
  });

  it('sends nothing when there is nothing to store (every attachment of a batch already there)', async () => {
    const calls = await db.transaction(async (em) => {
      const client = pgClientOf(em)!;
      const query = client.query;
      let count = 0;
      client.query = ((...args: Parameters<typeof query>) => (count++, query.apply(client, args))) as typeof query;
      try {
        await insertParts(em, BY_UUID, []);
      } finally {
        client.query = query;
      }
      return count;
    });
    assert.equal(calls, 0);
  });

  it('refuses a key that is not a uuid: the COPY is abandoned and the connection stays usable', async () => {
    await assert.rejects(db.transaction((em) => insertParts(em, BY_UUID, [['not-a-uuid', Buffer.from('x')]])), /"not-a-uuid" is not a uuid/);
    const [row]: Array<{ one: number }> = await db.run((em) => em.query('SELECT 1 AS one'));
    assert.equal(row.one, 1);
  });
});

describe('byte parts on the embedded PGlite (parameterised INSERT)', () => {
  const database = probeDatabase('embedded');
  let db: Database;
  before(() => (db = database()));

  it('has no node-postgres client to COPY through', async () => {
    assert.equal(await db.transaction(async (em) => pgClientOf(em)), null);
  });

  roundTrips(database);
});
