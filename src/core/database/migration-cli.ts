/**
 * `npm run migration:generate -- <Name>`: diffs the entities against the schema the
 * committed migrations build (on a throw-away in-memory PGlite) and writes the
 * difference as a new migration under migrations/, then registers it in
 * migrations/index.ts. Review the file before committing it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENTITIES } from '../../app.entities';
import { MIGRATIONS } from '../../../migrations';
import { createDataSource } from './data-source.factory';

async function generate(name: string): Promise<void> {
  if (!/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: npm run migration:generate -- PascalCaseName');
  const dataSource = createDataSource({ databaseUrl: process.env.DATABASE_URL || null, pgliteDir: null, entities: ENTITIES, migrations: MIGRATIONS });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    const sql = await dataSource.driver.createSchemaBuilder().log();
    if (sql.upQueries.length === 0) {
      process.stdout.write('no schema changes: nothing generated\n');
      return;
    }
    const timestamp = Date.now();
    const className = `${name}${timestamp}`;
    const lines = (queries: { query: string; parameters?: unknown[] }[]) =>
      queries.map((q) => `    await queryRunner.query(${JSON.stringify(q.query)}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`).join('\n');
    const source = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(sql.upQueries)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines([...sql.downQueries].reverse())}
  }
}
`;
    const root = path.resolve(__dirname, '../../../..');
    const file = `${timestamp}-${name}`;
    fs.writeFileSync(path.join(root, 'migrations', `${file}.ts`), source);
    const indexPath = path.join(root, 'migrations', 'index.ts');
    let index = fs.readFileSync(indexPath, 'utf8');
    index = index.replace(/^(\/\*\*[\s\S]*?\*\/\n)/, `$1import { ${className} } from './${file}';\n`);
    index = index.replace(/export const MIGRATIONS: Function\[\] = \[([\s\S]*?)\];/, (_m, list: string) => {
      const items = list.split(',').map((s) => s.trim()).filter(Boolean);
      return `export const MIGRATIONS: Function[] = [${[...items, className].join(', ')}];`;
    });
    fs.writeFileSync(indexPath, index);
    process.stdout.write(`wrote migrations/${file}.ts (${sql.upQueries.length} statements)\n`);
  } finally {
    await dataSource.destroy();
  }
}

const [command, name] = process.argv.slice(2);
if (command !== 'generate') {
  process.stderr.write('usage: migration-cli generate <Name>\n');
  process.exit(2);
}
generate(name).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
