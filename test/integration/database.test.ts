import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../../src/app.entities';
import fs from 'node:fs';
import path from 'node:path';
import { createDataSource, createEmbeddedDatabase, embeddedDataDir } from '../../src/core/database/data-source.factory';
import { Database } from '../../src/core/database/database';
import { runMigrations } from '../../src/core/database/migrate';
import { createDatabase, dropDatabase } from '../support/postgres';
import { openTestDatabase } from '../support/database';
import { makeTempDir, removeDir } from '../support/tmp';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two overlapping units of work: A writes, waits, B writes and fails, A commits. */
async function overlappingTransactions(db: Database): Promise<string[]> {
  await db.run((em) => em.query('CREATE TABLE IF NOT EXISTS overlap_probe (name text)'));
  await db.run((em) => em.query('DELETE FROM overlap_probe'));
  const first = db.transaction(async (em) => {
    await em.query(`INSERT INTO overlap_probe VALUES ('kept')`);
    await sleep(50);
  });
  const second = db.transaction(async (em) => {
    await em.query(`INSERT INTO overlap_probe VALUES ('rolled back')`);
    throw new Error('this unit of work fails');
  });
  await Promise.all([first, assert.rejects(second, /this unit of work fails/)]);
  const rows: { name: string }[] = await db.run((em) => em.query('SELECT name FROM overlap_probe ORDER BY name'));
  return rows.map((r) => r.name);
}


/** How PostgreSQL stores message bodies: compression method ('' = default pglz, 'l' = lz4) and storage ('x' extended, 'e' external). */
async function bodyStorage(db: Database): Promise<string[]> {
  const rows: { attname: string; attcompression: string; attstorage: string }[] = await db.run((em) =>
    em.query(`SELECT attname, attcompression::text, attstorage::text FROM pg_attribute WHERE attrelid = 'message'::regclass AND attname IN ('text', 'html') ORDER BY attname`),
  );
  return rows.map((row) => `${row.attname}:${row.attcompression || '-'}:${row.attstorage}`);
}

describe('Database on the embedded PGlite', () => {
  let db: Database;
  let close: () => Promise<void>;
  before(async () => ({ db, close } = await openTestDatabase('embedded')));
  after(() => close());

  it('keeps a committed row when an overlapping transaction rolls back (PGlite has one session)', async () => {
    assert.deepEqual(await overlappingTransactions(db), ['kept']);
  });

  it('stores and returns every byte value of a bytea column unchanged, as a Buffer', async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(100_000, 0xfe)]);
    await db.run((em) => em.query('CREATE TABLE IF NOT EXISTS bytea_probe (content bytea)'));
    await db.run((em) => em.query('INSERT INTO bytea_probe VALUES ($1)', [bytes]));
    await db.run((em) => em.query('INSERT INTO bytea_probe VALUES ($1)', [bytes.subarray(250, 260)]));
    const rows: { content: Buffer }[] = await db.run((em) => em.query('SELECT content FROM bytea_probe ORDER BY length(content) DESC'));
    assert.ok(Buffer.isBuffer(rows[0].content));
    assert.ok(rows[0].content.equals(bytes));
    assert.deepEqual([...rows[1].content], [250, 251, 252, 253, 254, 255, 0xfe, 0xfe, 0xfe, 0xfe]);
  });

  it('stores long text and varchar parameters (sent to PGlite as UTF-8 bytes) character for character', async () => {
    const long = 'Grüße, 日本語, emoji 📨, a lone surrogate \ud800 and NUL-free ASCII. '.repeat(200);
    await db.run((em) => em.query('CREATE TABLE IF NOT EXISTS text_probe (body text, name varchar(20000))'));
    await db.run((em) => em.query('INSERT INTO text_probe VALUES ($1, $2::varchar), ($3, $4)', [long, long, 'short', 'ß']));
    const rows: { body: string; name: string; bytes: number }[] = await db.run((em) => em.query('SELECT body, name, octet_length(body) AS bytes FROM text_probe ORDER BY length(body) DESC'));
    // What JavaScript's UTF-8 encoder makes of the lone surrogate (U+FFFD) is what comes back.
    const stored = Buffer.from(long, 'utf8').toString('utf8');
    assert.equal(rows[0].body, stored);
    assert.equal(rows[0].name, stored);
    assert.equal(Number(rows[0].bytes), Buffer.byteLength(long, 'utf8'));
    assert.deepEqual([rows[1].body, rows[1].name], ['short', 'ß']);
    const at = new Date('2026-11-23T10:00:00.000Z');
    const [asText] = await db.run((em) => em.query('SELECT $1::text AS value', [at]));
    assert.equal(asText.value, '2026-11-23T10:00:00.000Z', 'a Date reaches a text parameter as ISO 8601, as with PGlite’s own serializer');
  });

  it('stores message bodies uncompressed: PGlite has no lz4, and pglz would cost the main thread ~1.3 ms per 100 KB', async () => {
    assert.deepEqual(await bodyStorage(db), ['html:-:e', 'text:-:e']);
  });

  it('lets a unit of work call the database again without waiting for itself', async () => {
    const count = await db.transaction(async () => db.run(async (em) => (await em.query('SELECT 1 AS one'))[0].one));
    assert.equal(count, 1);
  });

  it('rolls back a nested failing part alone, as a savepoint', async () => {
    await db.run((em) => em.query('DELETE FROM overlap_probe'));
    await db.transaction(async (em) => {
      await em.query(`INSERT INTO overlap_probe VALUES ('outer')`);
      await assert.rejects(
        db.transaction(async (inner) => {
          await inner.query(`INSERT INTO overlap_probe VALUES ('inner')`);
          throw new Error('inner fails');
        }),
      );
    });
    const rows: { name: string }[] = await db.run((em) => em.query('SELECT name FROM overlap_probe'));
    assert.deepEqual(rows.map((r) => r.name), ['outer']);
  });
});

describe('the embedded database on disk', () => {
  it('is created once (initdb in a worker thread that exits), then opened, and keeps its data across restarts', async () => {
    const dataDir = makeTempDir('deskmail-pglite-');
    try {
      const open = async (): Promise<Database> => {
        await createEmbeddedDatabase(embeddedDataDir(dataDir)!);
        const dataSource = createDataSource({ databaseUrl: null, pgliteDir: dataDir, entities: ENTITIES, migrations: MIGRATIONS });
        await dataSource.initialize();
        await runMigrations(dataSource, true);
        return new Database(dataSource, true);
      };
      const first = await open();
      assert.ok(fs.existsSync(path.join(dataDir, 'pglite', 'PG_VERSION')));
      await first.run((em) => em.query(`CREATE TABLE kept (name text); INSERT INTO kept VALUES ('still here')`));
      await first.dataSource.destroy();
      const second = await open();
      const rows: { name: string }[] = await second.run((em) => em.query('SELECT name FROM kept'));
      await second.dataSource.destroy();
      assert.deepEqual(rows.map((row) => row.name), ['still here']);
    } finally {
      removeDir(dataDir);
    }
  });

  it('fails with a clear error where no database can be created', async () => {
    const dir = makeTempDir('deskmail-pglite-');
    try {
      fs.writeFileSync(path.join(dir, 'pglite'), 'a file where the database directory should be');
      await assert.rejects(createEmbeddedDatabase(path.join(dir, 'pglite')), /EEXIST|ENOTDIR|not a directory|file already exists/);
    } finally {
      removeDir(dir);
    }
  });
});

describe('Database on PostgreSQL', () => {
  let db: Database;
  let close: () => Promise<void>;
  before(async () => ({ db, close } = await openTestDatabase('postgres')));
  after(() => close());

  it('keeps a committed row when an overlapping transaction rolls back', async () => {
    assert.deepEqual(await overlappingTransactions(db), ['kept']);
  });

  it('compresses message bodies with lz4, not pglz', async () => {
    assert.deepEqual(await bodyStorage(db), ['html:l:x', 'text:l:x']);
  });

  it('moves each stored attachment content and quarantined mail into its part 0, and back when the migrations are undone', async () => {
    const migrationUrl = await createDatabase();
    const at = MIGRATIONS.findIndex((migration) => migration.name.startsWith('AttachmentBlobParts'));
    assert.ok(MIGRATIONS[at + 1].name.startsWith('QuarantinedMailParts'));
    const upTo = (count: number) => createDataSource({ databaseUrl: migrationUrl, pgliteDir: null, entities: ENTITIES, migrations: MIGRATIONS.slice(0, count) });
    const content = Buffer.from([0, 1, 2, 254, 255]);
    const mailbox = '00000000-0000-4000-8000-000000000001';
    const older = upTo(at);
    await older.initialize();
    try {
      await older.runMigrations();
      await older.query(`INSERT INTO attachment_blob (sha256, size, content) VALUES ('abc', 5, $1)`, [content]);
      await older.query(`INSERT INTO quarantined_mail (id, mailbox_id, reason, detail, raw, size, received_at, identity) VALUES ($1, $1, 'loop', 'd', $2, 5, now(), 'i')`, [mailbox, content]);
    } finally {
      await older.destroy();
    }
    const parted = upTo(at + 2);
    await parted.initialize();
    try {
      await parted.runMigrations();
      const blobParts: { part: number; content: Buffer }[] = await parted.query(`SELECT part, content FROM attachment_blob_part WHERE sha256 = 'abc'`);
      assert.deepEqual(blobParts.map((p) => [p.part, [...p.content]]), [[0, [...content]]]);
      const mailParts: { part: number; content: Buffer }[] = await parted.query(`SELECT part, content FROM quarantined_mail_part WHERE mail_id = $1`, [mailbox]);
      assert.deepEqual(mailParts.map((p) => [p.part, [...p.content]]), [[0, [...content]]]);
      await parted.undoLastMigration();
      await parted.undoLastMigration();
      const [blob]: { content: Buffer }[] = await parted.query(`SELECT content FROM attachment_blob WHERE sha256 = 'abc'`);
      assert.deepEqual([...blob.content], [...content]);
      const [quarantined]: { raw: Buffer }[] = await parted.query(`SELECT raw FROM quarantined_mail WHERE id = $1`, [mailbox]);
      assert.deepEqual([...quarantined.raw], [...content]);
    } finally {
      await parted.destroy();
      await dropDatabase(migrationUrl);
    }
  });

  it('serialises holders of one named lock across connections', async () => {
    const order: string[] = [];
    const holder = (name: string, ms: number) =>
      db.transactionWithLock('probe-lock', async () => {
        order.push(`${name} in`);
        await sleep(ms);
        order.push(`${name} out`);
      });
    await Promise.all([holder('a', 100), sleep(20).then(() => holder('b', 10))]);
    assert.deepEqual(order, ['a in', 'a out', 'b in', 'b out']);
  });
});
