import { Badge, SegmentedControl, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useMailboxes, useOutbox } from '../api/hooks';
import type { OutboxMessage, OutboxStatus } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { formatAddresses, formatDateTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';

const PAGE_SIZE = 25;
const STATUS_COLORS: Record<OutboxStatus, string> = { queued: 'blue', sent: 'green', failed: 'red' };

/** Replies, acknowledgements and notifications on their way out. */
export function OutboxPage() {
  const [status, setStatus] = useState<'all' | OutboxStatus>('all');
  const [page, setPage] = useState(1);
  const outbox = useOutbox({ status: status === 'all' ? undefined : status, page, pageSize: PAGE_SIZE });
  const mailboxes = useMailboxes();
  const mailboxName = (id: string | undefined) => mailboxes.data?.mailboxes.find((m) => m.id === id)?.name ?? '—';

  const columns: Column<OutboxMessage>[] = [
    {
      key: 'mail',
      header: 'Mail',
      render: (m) => (
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {m.subject ?? '(no subject)'}
          </Text>
          <Text size="xs" c="dimmed">
            To {formatAddresses(m.to) || '—'}
          </Text>
        </Stack>
      ),
    },
    { key: 'status', header: 'Status', width: 90, render: (m) => <Badge color={STATUS_COLORS[m.status] ?? 'gray'} variant="light">{m.status}</Badge> },
    { key: 'attempts', header: 'Attempts', render: (m) => m.attempts },
    { key: 'server', header: 'Server', visibleFrom: 'sm', render: (m) => m.server ?? '—' },
    { key: 'mailbox', header: 'Mailbox', visibleFrom: 'md', render: (m) => mailboxName(m.mailbox) },
    { key: 'when', header: 'Queued', visibleFrom: 'lg', render: (m) => <Text size="sm">{formatDateTime(m.createdAt)}</Text> },
    {
      key: 'error',
      header: 'Last error',
      render: (m) =>
        m.lastError ? (
          <Text size="xs" c="red.8" lineClamp={4}>
            {typeof m.lastError === 'string' ? m.lastError : `${m.lastError.code}: ${m.lastError.message}`}
          </Text>
        ) : (
          '—'
        ),
    },
  ];

  return (
    <>
      <PageHeader title="Outbox" description="Replies, acknowledgements and test mails leaving through each mailbox’s outgoing server." />
      <SegmentedControl
        mb="md"
        aria-label="Status"
        value={status}
        onChange={(value) => {
          setStatus(value as 'all' | OutboxStatus);
          setPage(1);
        }}
        data={[
          { value: 'all', label: 'All' },
          { value: 'queued', label: 'Queued' },
          { value: 'sent', label: 'Sent' },
          { value: 'failed', label: 'Failed' },
        ]}
      />
      <DataTable
        label="Outbox"
        columns={columns}
        rows={outbox.data?.messages}
        rowKey={(m) => m.id}
        loading={outbox.isPending}
        error={outbox.error}
        page={outbox.data}
        onPage={setPage}
        empty={{ title: status === 'all' ? 'The outbox is empty' : `No ${status} mail`, description: 'Mail appears here when a reply or acknowledgement is queued.' }}
      />
    </>
  );
}
