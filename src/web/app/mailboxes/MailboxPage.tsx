import { Alert, Button, Group, Modal, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconFileText, IconSettings, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api } from '../api/endpoints';
import { keys, useMailbox } from '../api/hooks';
import type { Mailbox } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { PageHeader } from '../components/PageHeader';
import { IncomingCard } from './IncomingCard';
import { MailboxForm } from './MailboxForm';
import { MailboxLogs } from './MailboxLogs';
import { OutgoingCard } from './OutgoingCard';
import { useAuthorize } from './useAuthorize';

/** One mailbox: both sides' states and actions, its settings (Incoming/Outgoing) and logs. */
export function MailboxPage() {
  const { id = '' } = useParams();
  const authorize = useAuthorize(id);
  const mailbox = useMailbox(id, authorize.pending ? 2_000 : 5_000);
  const [saved, setSaved] = useState(false);
  const [tab, setTab] = useState<string | null>('settings');

  if (mailbox.isPending) return <Loading label="Loading the mailbox" />;
  if (mailbox.error && !mailbox.data) return <ErrorAlert error={mailbox.error} title="Could not load the mailbox" />;
  const m = mailbox.data!;

  return (
    <>
      <PageHeader title={m.name} description={m.emailAddresses.join(', ')} actions={<DeleteMailbox mailbox={m} />} />
      <Stack gap="lg">
        {authorize.pending && (
          <Alert color="blue" variant="light" title="Waiting for the consent" role="status">
            Sign in and grant access in the window that opened. This page updates by itself when you are done.
          </Alert>
        )}
        {authorize.result && (
          <Alert color={authorize.result.ok ? 'green' : 'red'} variant="light" title={authorize.result.ok ? 'Authorized' : 'Authorization failed'} role="status">
            {authorize.result.message}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <IncomingCard mailbox={m} authorize={authorize} />
          <OutgoingCard mailbox={m} authorize={authorize} />
        </SimpleGrid>
        <Tabs value={tab} onChange={setTab}>
          <Tabs.List>
            <Tabs.Tab value="settings" leftSection={<IconSettings size={16} />}>
              Mail server settings
            </Tabs.Tab>
            <Tabs.Tab value="logs" leftSection={<IconFileText size={16} />}>
              Logs
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="settings" pt="md">
            {saved && (
              <Alert color="green" variant="light" mb="md" withCloseButton onClose={() => setSaved(false)} role="status" title="Settings saved">
                Changes to the server settings reconnect the mailbox.
              </Alert>
            )}
            <MailboxForm key={m.id} mailbox={m} onSaved={() => setSaved(true)} />
          </Tabs.Panel>
          <Tabs.Panel value="logs" pt="md">
            {tab === 'logs' && <MailboxLogs mailboxId={m.id} />}
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </>
  );
}

function DeleteMailbox({ mailbox }: { mailbox: Mailbox }) {
  const [opened, { open, close }] = useDisclosure(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.mailboxes.remove(mailbox.id),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.mailboxes });
      navigate('/mailboxes');
    },
  });
  return (
    <>
      <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={open}>
        Delete
      </Button>
      <Modal opened={opened} onClose={close} title={`Delete “${mailbox.name}”?`}>
        <Stack>
          <Text size="sm">deskmail stops fetching and sending for it. Its requests stay.</Text>
          {remove.error ? <ErrorAlert error={remove.error} title="Could not delete" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete mailbox
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
