import type { EntityManager } from 'typeorm';

/** A column of a multi-row INSERT: its name and the SQL type its parameters are cast to. */
export type InsertColumn = readonly [name: string, type: string];

/** PostgreSQL takes at most 65,535 parameters per statement; stay well under it. */
const MAX_PARAMETERS = 30_000;

/**
 * INSERT of many rows in as few statements as the parameter limit allows: one round trip
 * where an ORM insert per row costs one each. Values are given per row in column order;
 * `tail` is the rest of the statement (ON CONFLICT …, RETURNING …). Returns the rows
 * RETURNING produced, in statement order.
 */
export async function insertRows<T = Record<string, unknown>>(
  em: EntityManager,
  table: string,
  columns: readonly InsertColumn[],
  rows: readonly (readonly unknown[])[],
  tail = '',
): Promise<T[]> {
  const returned: T[] = [];
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const parameters: unknown[] = [];
    const tuples = slice.map((row) => {
      if (row.length !== columns.length) throw new Error(`a row for ${table} has ${row.length} values for ${columns.length} columns`);
      const placeholders = columns.map(([, type], index) => {
        parameters.push(row[index]);
        return `$${parameters.length}::${type}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    const result: unknown = await em.query(`INSERT INTO "${table}" (${names}) VALUES ${tuples.join(', ')} ${tail}`, parameters);
    if (Array.isArray(result)) returned.push(...(result as T[]));
  }
  return returned;
}
