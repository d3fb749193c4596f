import { Alert, Button, Code, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { useRefreshMailbox } from '../api/hooks';
import { ErrorAlert } from '../components/ErrorAlert';

/** "Send a test mail" through the outgoing settings. */
export function TestMailModal({ mailboxId, opened, onClose }: { mailboxId: string; opened: boolean; onClose: () => void }) {
  const [to, setTo] = useState('');
  const refresh = useRefreshMailbox();
  const send = useMutation({
    mutationFn: () => api.mailboxes.testMail(mailboxId, to.trim()),
    onSettled: () => refresh(mailboxId),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (to.trim()) send.mutate();
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Send a test mail">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Recipient" type="email" required placeholder="you@example.com" value={to} onChange={(e) => setTo(e.currentTarget.value)} data-autofocus />
          {send.data && (
            <Alert color="green" variant="light" title={`Sent through the ${send.data.server} server`}>
              <Text size="sm">
                Server response: <Code>{send.data.response}</Code>
              </Text>
              <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                Message-ID {send.data.messageId}
              </Text>
            </Alert>
          )}
          {send.error ? <ErrorAlert error={send.error} title="The test mail was not sent" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={send.isPending} disabled={!to.trim()}>
              Send
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
