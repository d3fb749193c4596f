import { Center, EmptyState, Loader, Pagination, Group, Table, Text } from '@mantine/core';
import { IconInbox } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import type { Page } from '../api/types';
import { ErrorAlert } from './ErrorAlert';

export interface Column<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
  /** Hidden on narrow screens (Mantine breakpoint). */
  visibleFrom?: 'sm' | 'md' | 'lg';
  width?: number | string;
}

interface DataTableProps<T> {
  label: string;
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey: (row: T, index: number) => string;
  loading: boolean;
  error: unknown;
  empty: { title: string; description?: ReactNode; action?: ReactNode };
  page?: Page;
  onPage?: (page: number) => void;
}

/** A list screen's table with its loading, error and empty states and paging. */
export function DataTable<T>({ label, columns, rows, rowKey, loading, error, empty, page, onPage }: DataTableProps<T>) {
  if (error && !rows) return <ErrorAlert error={error} title={`Could not load ${label.toLowerCase()}`} />;
  if (loading && !rows) {
    return (
      <Center py="xl" aria-busy="true">
        <Loader aria-label={`Loading ${label.toLowerCase()}`} />
      </Center>
    );
  }
  if (!rows || rows.length === 0) {
    return (
      <EmptyState icon={<IconInbox size={28} />} withIndicatorBackground title={empty.title} description={empty.description} py="xl">
        {empty.action && <EmptyState.Actions>{empty.action}</EmptyState.Actions>}
      </EmptyState>
    );
  }
  const pages = page ? Math.max(1, Math.ceil(page.total / page.pageSize)) : 1;
  return (
    <>
      {error ? <ErrorAlert error={error} title="Could not refresh" /> : null}
      <Table.ScrollContainer minWidth={0}>
        <Table striped highlightOnHover verticalSpacing="sm" aria-label={label}>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th key={column.key} visibleFrom={column.visibleFrom} style={column.width ? { width: column.width } : undefined}>
                  {column.header}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, index) => (
              <Table.Tr key={rowKey(row, index)}>
                {columns.map((column) => (
                  <Table.Td key={column.key} visibleFrom={column.visibleFrom} style={{ overflowWrap: 'anywhere' }}>
                    {column.render(row)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {page && (
        <Group justify="space-between" mt="md">
          <Text size="sm" c="dimmed">
            {page.total} in all
          </Text>
          {pages > 1 && onPage && <Pagination total={pages} value={page.page} onChange={onPage} size="sm" aria-label={`${label} pages`} />}
        </Group>
      )}
    </>
  );
}
