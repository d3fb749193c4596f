import { Anchor, Button, Stack, Text } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useMailboxes } from '../api/hooks';
import type { Mailbox, Side } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { formatRelative } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { StateBadge } from '../components/StateBadge';

function SideCell({ mailbox, side }: { mailbox: Mailbox; side: Side }) {
  const view = side === 'incoming' ? mailbox.incoming : mailbox.outgoing;
  return (
    <Stack gap={4} align="flex-start">
      <StateBadge state={view?.state} side={side} />
      {view?.lastError && (
        <Text size="xs" c="red.8" lineClamp={3} title={view.lastError.message}>
          {view.lastError.message}
        </Text>
      )}
    </Stack>
  );
}

export function MailboxesPage() {
  const mailboxes = useMailboxes();
  const columns: Column<Mailbox>[] = [
    {
      key: 'name',
      header: 'Mailbox',
      render: (m) => (
        <Stack gap={2}>
          <Anchor component={Link} to={`/mailboxes/${m.id}`} fw={500}>
            {m.name}
          </Anchor>
          <Text size="xs" c="dimmed">
            {m.emailAddresses.join(', ')}
          </Text>
        </Stack>
      ),
    },
    { key: 'incoming', header: 'Incoming', render: (m) => <SideCell mailbox={m} side="incoming" /> },
    { key: 'outgoing', header: 'Outgoing', render: (m) => <SideCell mailbox={m} side="outgoing" /> },
    {
      key: 'server',
      header: 'Server',
      visibleFrom: 'md',
      render: (m) => (
        <Text size="sm">
          {m.incoming.protocol.toUpperCase()} {m.incoming.host ?? m.incoming.connectUrl ?? ''}
          <Text span size="xs" c="dimmed" display="block">
            {m.incoming.authType === 'oauth2' ? 'OAuth2' : 'Password'}
          </Text>
        </Text>
      ),
    },
    {
      key: 'fetch',
      header: 'Last fetch',
      visibleFrom: 'lg',
      render: (m) => (
        <Text size="sm">
          {formatRelative(m.incoming.lastFetchAt)}
          {m.incoming.nextFetchAt && (
            <Text span size="xs" c="dimmed" display="block">
              next {formatRelative(m.incoming.nextFetchAt)}
            </Text>
          )}
        </Text>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Mailboxes"
        description="Each helpdesk address: where its mail is fetched from and where replies leave."
        actions={
          <Button component={Link} to="/mailboxes/new" leftSection={<IconPlus size={16} />}>
            Add mailbox
          </Button>
        }
      />
      <DataTable
        label="Mailboxes"
        columns={columns}
        rows={mailboxes.data?.mailboxes}
        rowKey={(m) => m.id}
        loading={mailboxes.isPending}
        error={mailboxes.error}
        empty={{
          title: 'No mailboxes yet',
          description: 'Add the mail server settings of your first support address.',
          action: (
            <Button component={Link} to="/mailboxes/new">
              Add mailbox
            </Button>
          ),
        }}
      />
    </>
  );
}
