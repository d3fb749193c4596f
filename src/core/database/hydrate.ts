import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

const TIME_TYPES = new Set<unknown>(['timestamptz', 'timestamp with time zone', 'timestamp', 'timestamp without time zone', 'date', Date]);

/**
 * Builds an entity from a `row_to_json(alias)` object (keys are column names). For hot read
 * paths where one hand-written join replaces several TypeORM finds: TypeORM's query building
 * and hydration cost more than the queries themselves. JSON has no dates, so time columns are
 * turned back into Dates here.
 */
export function hydrate<T extends ObjectLiteral>(dataSource: DataSource, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = dataSource.getMetadata(target);
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    const value = row[column.databaseName];
    if (value === undefined) continue;
    entity[column.propertyName] = value !== null && TIME_TYPES.has(column.type) ? new Date(value as string) : value;
  }
  return entity as T;
}
