import { Anchor, Badge, Group, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { useMailboxes, useRequests } from '../api/hooks';
import type { RequestStatus, RequestSummary } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { formatDateTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';

const PAGE_SIZE = 25;

export function RequestsPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [status, setStatus] = useState<'all' | RequestStatus>('all');
  const [mailbox, setMailbox] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const mailboxes = useMailboxes();
  const requests = useRequests({ q: q || undefined, status: status === 'all' ? undefined : status, mailbox: mailbox ?? undefined, page, pageSize: PAGE_SIZE });
  const mailboxName = (id: string) => mailboxes.data?.mailboxes.find((m) => m.id === id)?.name ?? '—';

  const columns: Column<RequestSummary>[] = [
    { key: 'number', header: '#', width: 70, render: (r) => <Text size="sm" c="dimmed">#{r.number}</Text> },
    {
      key: 'subject',
      header: 'Subject',
      render: (r) => (
        <Stack gap={2}>
          <Anchor component={Link} to={`/requests/${r.id}`} fw={500}>
            {r.subject || '(no subject)'}
          </Anchor>
          <Text size="xs" c="dimmed" hiddenFrom="sm">
            {r.requester.name ?? r.requester.email}
          </Text>
        </Stack>
      ),
    },
    { key: 'requester', header: 'Requester', visibleFrom: 'sm', render: (r) => <Text size="sm">{r.requester.name ? `${r.requester.name} <${r.requester.email}>` : r.requester.email}</Text> },
    { key: 'mailbox', header: 'Mailbox', visibleFrom: 'md', render: (r) => mailboxName(r.mailbox) },
    { key: 'status', header: 'Status', width: 90, render: (r) => <Badge color={r.status === 'open' ? 'blue' : 'gray'} variant="light">{r.status}</Badge> },
    { key: 'updated', header: 'Updated', visibleFrom: 'lg', render: (r) => <Text size="sm">{formatDateTime(r.updatedAt)}</Text> },
  ];

  const resetPage = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    setPage(1);
  };

  return (
    <>
      <PageHeader title="Requests" description="Conversations started by incoming mail." />
      <Group mb="md" gap="sm" align="flex-end">
        <TextInput
          label="Search"
          placeholder="Subject, requester or text"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => resetPage(setSearch)(e.currentTarget.value)}
          style={{ flex: '1 1 16rem' }}
          type="search"
        />
        <Select
          label="Mailbox"
          placeholder="All mailboxes"
          clearable
          data={(mailboxes.data?.mailboxes ?? []).map((m) => ({ value: m.id, label: m.name }))}
          value={mailbox}
          onChange={resetPage(setMailbox)}
          w={200}
        />
        <SegmentedControl
          aria-label="Status"
          value={status}
          onChange={(v) => resetPage(setStatus)(v as 'all' | RequestStatus)}
          data={[
            { value: 'all', label: 'All' },
            { value: 'open', label: 'Open' },
            { value: 'closed', label: 'Closed' },
          ]}
        />
      </Group>
      <DataTable
        label="Requests"
        columns={columns}
        rows={requests.data?.requests}
        rowKey={(r) => r.id}
        loading={requests.isPending}
        error={requests.error}
        page={requests.data}
        onPage={setPage}
        empty={{
          title: q || status !== 'all' || mailbox ? 'No request matches' : 'No requests yet',
          description: q || status !== 'all' || mailbox ? 'Try other words or filters.' : 'Requests appear when a mailbox fetches new mail.',
        }}
      />
    </>
  );
}
