import { Alert, Anchor, Badge, Button, Group, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { useQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/endpoints';
import { useMailboxes, useQuarantine } from '../api/hooks';
import type { QuarantinedMail, RetryResult } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatDateTime } from '../components/format';
import { Loading } from '../components/Loading';
import { PageHeader } from '../components/PageHeader';

const PAGE_SIZE = 25;

/** Mails that could not become requests: why, the raw message, and a retry. */
export function QuarantinePage() {
  const [page, setPage] = useState(1);
  const [raw, setRaw] = useState<QuarantinedMail | null>(null);
  const [retried, setRetried] = useState<{ mail: QuarantinedMail; result: RetryResult } | null>(null);
  const list = useQuarantine({ page, pageSize: PAGE_SIZE });
  const mailboxes = useMailboxes();
  const mailboxName = (id: string) => mailboxes.data?.mailboxes.find((m) => m.id === id)?.name ?? '—';

  const columns: Column<QuarantinedMail>[] = [
    { key: 'received', header: 'Received', render: (m) => <Text size="sm">{formatDateTime(m.receivedAt)}</Text> },
    {
      key: 'mail',
      header: 'Mail',
      render: (m) => (
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {m.subject ?? '(no subject)'}
          </Text>
          <Text size="xs" c="dimmed">
            {m.from ?? ''}
          </Text>
        </Stack>
      ),
    },
    {
      key: 'reason',
      header: 'Reason',
      render: (m) => (
        <Stack gap={2}>
          <Badge color="orange" variant="light">
            {m.reason}
          </Badge>
          {m.detail && (
            <Text size="xs" c="dimmed" lineClamp={3}>
              {m.detail}
            </Text>
          )}
        </Stack>
      ),
    },
    { key: 'mailbox', header: 'Mailbox', visibleFrom: 'md', render: (m) => mailboxName(m.mailbox) },
    { key: 'size', header: 'Size', visibleFrom: 'sm', render: (m) => formatBytes(m.size) },
    { key: 'actions', header: 'Actions', render: (m) => <RowActions mail={m} onRaw={() => setRaw(m)} onRetried={(result) => setRetried({ mail: m, result })} /> },
  ];

  return (
    <>
      <PageHeader title="Quarantine" description="Mail that could not become a request (too large, unparseable, a mail loop…), kept with its raw bytes." />
      {retried && <RetryOutcome {...retried} onClose={() => setRetried(null)} />}
      <DataTable
        label="Quarantined mail"
        columns={columns}
        rows={list.data?.messages}
        rowKey={(m) => m.id}
        loading={list.isPending}
        error={list.error}
        page={list.data}
        onPage={setPage}
        empty={{ title: 'Quarantine is empty', description: 'Every fetched mail became a request or was added to one.' }}
      />
      <RawMailModal mail={raw} onClose={() => setRaw(null)} />
    </>
  );
}

function RowActions({ mail, onRaw, onRetried }: { mail: QuarantinedMail; onRaw: () => void; onRetried: (result: RetryResult) => void }) {
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: () => api.quarantine.retry(mail.id),
    onSuccess: onRetried,
    onSettled: () => Promise.all([queryClient.invalidateQueries({ queryKey: ['quarantine'] }), queryClient.invalidateQueries({ queryKey: ['requests'] })]),
  });
  return (
    <Stack gap={4}>
      <Group gap={6} wrap="nowrap">
        <Button size="xs" variant="default" onClick={onRaw}>
          View raw
        </Button>
        <Button size="xs" variant="light" loading={retry.isPending} onClick={() => retry.mutate()}>
          Retry
        </Button>
      </Group>
      {retry.error ? <ErrorAlert error={retry.error} title="Retry failed" /> : null}
    </Stack>
  );
}

/** What a retry did: the mail left quarantine (request, appended, duplicate) or stayed. */
function RetryOutcome({ mail, result, onClose }: { mail: QuarantinedMail; result: RetryResult; onClose: () => void }) {
  const stayed = result.outcome === 'quarantined';
  const what = mail.subject ? `“${mail.subject}”` : 'The mail';
  return (
    <Alert color={stayed ? 'orange' : 'green'} variant="light" mb="md" withCloseButton onClose={onClose} role="status" title={stayed ? 'Still quarantined' : 'Left quarantine'}>
      {stayed ? (
        <Text size="sm">
          {what} went to quarantine again: {result.reason}
          {result.detail ? ` (${result.detail})` : ''}.
        </Text>
      ) : (
        <Text size="sm">
          {what} {result.outcome === 'request' ? 'became request' : result.outcome === 'appended' ? 'was added to request' : 'was already in request'}{' '}
          {result.request ? (
            <Anchor component={Link} to={`/requests/${result.request.id}`}>
              #{result.request.number}
            </Anchor>
          ) : null}
          .
        </Text>
      )}
    </Alert>
  );
}

function RawMailModal({ mail, onClose }: { mail: QuarantinedMail | null; onClose: () => void }) {
  const raw = useQuery({
    queryKey: ['quarantine', 'raw', mail?.id],
    queryFn: async () => (await api.quarantine.raw(mail!.id)).text(),
    enabled: Boolean(mail),
    staleTime: Infinity,
  });
  return (
    <Modal opened={Boolean(mail)} onClose={onClose} title="Raw message" size="xl">
      {raw.isPending && <Loading label="Loading the raw message" />}
      {raw.error ? <ErrorAlert error={raw.error} title="Could not load the raw message" /> : null}
      {raw.data !== undefined && (
        <ScrollArea.Autosize mah="70vh">
          <pre className="mono-pre">{raw.data}</pre>
        </ScrollArea.Autosize>
      )}
    </Modal>
  );
}
