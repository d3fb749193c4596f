import { Badge, Group, Paper, Select, Stack, Switch, Text } from '@mantine/core';
import { useMailboxLogs } from '../api/hooks';
import type { LogEntry } from '../api/types';
import { useState } from 'react';
import { DataTable, type Column } from '../components/DataTable';
import { formatDateTime } from '../components/format';

const LEVEL_COLORS: Record<string, string> = { error: 'red', warn: 'orange', warning: 'orange', info: 'blue', debug: 'gray', trace: 'gray' };

/** Errors and state changes always; the protocol transcript while email debug is on. Newest first. */
export function MailboxLogs({ mailboxId }: { mailboxId: string }) {
  const [limit, setLimit] = useState('100');
  const [autoRefresh, setAutoRefresh] = useState(true);
  const logs = useMailboxLogs(mailboxId, Number(limit), autoRefresh);

  const columns: Column<LogEntry>[] = [
    {
      key: 'at',
      header: 'Time',
      width: 170,
      render: (entry) => (
        <Stack gap={4}>
          <Text size="xs">{formatDateTime(entry.at)}</Text>
          <Group gap={4}>
            <Badge size="xs" color={LEVEL_COLORS[entry.level] ?? 'gray'} variant="light">
              {entry.level}
            </Badge>
            {entry.side && (
              <Badge size="xs" color="gray" variant="outline">
                {entry.side}
              </Badge>
            )}
          </Group>
        </Stack>
      ),
    },
    {
      key: 'message',
      header: 'Event',
      render: (entry) => (
        <Stack gap={2}>
          <Text size="xs" fw={600}>
            {entry.event}
          </Text>
          <pre className="mono-pre">{entry.message}</pre>
        </Stack>
      ),
    },
  ];

  return (
    <Paper withBorder p="md">
      <Group justify="space-between" mb="sm" gap="sm">
        <Text size="sm" c="dimmed">
          Newest first. Turn on “Enable email debug” in the settings to see the protocol transcript; passwords and tokens are redacted.
        </Text>
        <Group gap="sm">
          <Select aria-label="Entries shown" w={110} data={['50', '100', '500']} value={limit} onChange={(v) => v && setLimit(v)} allowDeselect={false} />
          <Switch label="Auto-refresh" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.currentTarget.checked)} />
        </Group>
      </Group>
      <DataTable
        label="Mailbox log"
        columns={columns}
        rows={logs.data?.entries}
        rowKey={(entry, index) => `${entry.at}-${index}`}
        loading={logs.isPending}
        error={logs.error}
        empty={{ title: 'No log entries yet', description: 'State changes, errors and (with email debug) transcripts appear here.' }}
      />
    </Paper>
  );
}
