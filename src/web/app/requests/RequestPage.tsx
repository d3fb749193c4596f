import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/endpoints';
import { keys, useMailboxes, useRequest } from '../api/hooks';
import type { RequestDetail } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatDateTime } from '../components/format';
import { Loading } from '../components/Loading';
import { PageHeader } from '../components/PageHeader';
import { MessageCard } from './MessageCard';

export function RequestPage() {
  const { id = '' } = useParams();
  const request = useRequest(id);
  const mailboxes = useMailboxes();
  if (request.isPending) return <Loading label="Loading the request" />;
  if (request.error) return <ErrorAlert error={request.error} title="Could not load the request" />;
  const r = request.data;
  const mailbox = mailboxes.data?.mailboxes.find((m) => m.id === r.mailbox);

  return (
    <>
      <Anchor component={Link} to="/requests" size="sm">
        <Group gap={4} component="span">
          <IconArrowLeft size={14} /> Requests
        </Group>
      </Anchor>
      <PageHeader
        title={`#${r.number} ${r.subject || '(no subject)'}`}
        badge={
          <Badge color={r.status === 'open' ? 'blue' : 'gray'} variant="light">
            {r.status}
          </Badge>
        }
        description={`From ${r.requester.name ? `${r.requester.name} <${r.requester.email}>` : r.requester.email} · ${mailbox?.name ?? 'mailbox'} · opened ${formatDateTime(r.createdAt)}`}
        actions={<StatusButton request={r} />}
      />
      <Stack gap="md">
        {r.messages.map((message) => (
          <MessageCard key={message.id} requestId={r.id} message={message} />
        ))}
        <ReplyForm request={r} />
      </Stack>
    </>
  );
}

function StatusButton({ request }: { request: RequestDetail }) {
  const queryClient = useQueryClient();
  const next = request.status === 'open' ? 'closed' : 'open';
  const update = useMutation({
    mutationFn: () => api.requests.setStatus(request.id, next),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.requests }),
  });
  return (
    <Stack gap={4} align="flex-end">
      <Button variant="default" loading={update.isPending} onClick={() => update.mutate()}>
        {next === 'closed' ? 'Close request' : 'Reopen request'}
      </Button>
      {update.error ? <ErrorAlert error={update.error} title="Could not change the status" /> : null}
    </Stack>
  );
}

function ReplyForm({ request }: { request: RequestDetail }) {
  const [text, setText] = useState('');
  const queryClient = useQueryClient();
  const reply = useMutation({
    mutationFn: () => api.requests.reply(request.id, text),
    onSuccess: async () => {
      setText('');
      await queryClient.invalidateQueries({ queryKey: keys.request(request.id) });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim()) reply.mutate();
  }
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={2} size="h5">
          Reply to the requester
        </Title>
        <Textarea label="Reply" autosize minRows={3} maxRows={12} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        {reply.data && (
          <Alert color="green" variant="light" role="status" title="Reply queued">
            <Text size="sm">It leaves through the mailbox’s outgoing server; see the outbox for its delivery.</Text>
          </Alert>
        )}
        {reply.error ? <ErrorAlert error={reply.error} title="The reply was not queued" /> : null}
        <Group>
          <Button type="submit" loading={reply.isPending} disabled={!text.trim()}>
            Send reply
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
