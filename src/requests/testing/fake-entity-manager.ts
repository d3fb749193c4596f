import type { EntityManager } from 'typeorm';

export interface RecordedQuery {
  sql: string;
  parameters: unknown[];
}

/**
 * A stand-in EntityManager for step specs: `query` answers from a handler, `insert` is
 * recorded, `transaction` runs its callback on itself. Enough for steps that read with SQL;
 * the integration tests run the real thing.
 */
export function fakeEntityManager(
  answer: (sql: string, parameters: unknown[]) => unknown[] = () => [],
  onInsert: (target: unknown, values: unknown) => Record<string, unknown> | void = () => undefined,
): EntityManager & { queries: RecordedQuery[]; inserts: Array<{ target: unknown; values: unknown }> } {
  const queries: RecordedQuery[] = [];
  const inserts: Array<{ target: unknown; values: unknown }> = [];
  const em = {
    queries,
    inserts,
    async query(sql: string, parameters: unknown[] = []) {
      queries.push({ sql, parameters });
      return answer(sql, parameters);
    },
    async insert(target: unknown, values: unknown) {
      inserts.push({ target, values });
      const generated = { id: `row-${inserts.length}`, ...(onInsert(target, values) ?? {}) };
      return { identifiers: [{ id: generated.id }], generatedMaps: [generated], raw: [] };
    },
    async transaction<T>(work: (inner: unknown) => Promise<T>): Promise<T> {
      return work(em);
    },
  };
  return em as unknown as EntityManager & { queries: RecordedQuery[]; inserts: Array<{ target: unknown; values: unknown }> };
}
