import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Tabs, TagsInput, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconArrowDownToArc, IconArrowUpFromArc } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/endpoints';
import { useOAuthApps, useProviders, useRefreshMailbox } from '../api/hooks';
import type { Mailbox } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { pathExists, splitFieldErrors } from '../components/form-errors';
import { IncomingFields } from './IncomingFields';
import { emptyMailboxForm, mailboxToForm, type MailboxFormValues } from './mailbox-form';
import { formToInput } from './mailbox-payload';
import { OutgoingFields } from './OutgoingFields';

type SideTab = 'incoming' | 'outgoing';

interface Props {
  mailbox?: Mailbox;
  onSaved: (mailbox: Mailbox) => void;
  onCancel?: () => void;
}

/** "Mail Server Settings": name and addresses, then Incoming and Outgoing tabs, one Save. */
export function MailboxForm({ mailbox, onSaved, onCancel }: Props) {
  const apps = useOAuthApps();
  const providers = useProviders();
  const refresh = useRefreshMailbox();
  const [tab, setTab] = useState<SideTab>('incoming');
  const [summary, setSummary] = useState<string[]>([]);
  const form = useForm<MailboxFormValues>({ mode: 'controlled', initialValues: mailbox ? mailboxToForm(mailbox) : emptyMailboxForm() });

  const save = useMutation({
    mutationFn: (values: MailboxFormValues) =>
      mailbox ? api.mailboxes.update(mailbox.id, formToInput(values, true)) : api.mailboxes.create(formToInput(values, false)),
    onMutate: () => setSummary([]),
    onSuccess: async (saved) => {
      form.setValues(mailboxToForm(saved));
      form.resetDirty(mailboxToForm(saved));
      await refresh(saved.id);
      onSaved(saved);
    },
    onError: (error) => {
      const { fields, all } = splitFieldErrors(error, (path) => pathExists(form.values, path));
      form.setErrors(fields);
      setSummary(all);
      const first = Object.keys(fields)[0];
      if (first?.startsWith('outgoing.')) setTab('outgoing');
      else if (first?.startsWith('incoming.')) setTab('incoming');
    },
  });

  const errorCount = (prefix: string) => Object.keys(form.errors).filter((key) => key.startsWith(prefix)).length;
  const tabLabel = (side: SideTab, label: string) => {
    const count = errorCount(`${side}.`);
    return (
      <Group gap={6} wrap="nowrap">
        {label}
        {count > 0 && (
          <Badge size="xs" color="red" circle aria-label={`${count} error${count > 1 ? 's' : ''}`}>
            {count}
          </Badge>
        )}
      </Group>
    );
  };
  const appList = apps.data?.apps ?? [];

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate aria-label="Mail server settings">
      <Stack gap="lg">
        {summary.length > 0 && (
          <Alert color="red" variant="light" title="The service did not accept these settings" role="alert">
            {summary.map((message) => (
              <Text size="sm" key={message}>
                {message}
              </Text>
            ))}
          </Alert>
        )}
        {save.error && summary.length === 0 ? <ErrorAlert error={save.error} title="Could not save" /> : null}

        <Paper withBorder p="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Mailbox name" required placeholder="Support" {...form.getInputProps('name')} />
            <TagsInput
              label="Email address(es)"
              required
              description="Every address that delivers into this mailbox. Press Enter after each."
              placeholder="support@example.com"
              splitChars={[',', ' ', ';']}
              acceptValueOnBlur
              {...form.getInputProps('emailAddresses')}
            />
          </SimpleGrid>
        </Paper>

        <Tabs value={tab} onChange={(value) => setTab((value as SideTab) ?? 'incoming')} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="incoming" leftSection={<IconArrowDownToArc size={16} />}>
              {tabLabel('incoming', 'Incoming')}
            </Tabs.Tab>
            <Tabs.Tab value="outgoing" leftSection={<IconArrowUpFromArc size={16} />}>
              {tabLabel('outgoing', 'Outgoing')}
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="incoming" pt="md">
            <IncomingFields form={form} apps={appList} providers={providers.data?.providers} passwordSet={Boolean(mailbox?.incoming.passwordSet)} />
          </Tabs.Panel>
          <Tabs.Panel value="outgoing" pt="md">
            <OutgoingFields form={form} apps={appList} providers={providers.data?.providers} passwordSet={Boolean(mailbox?.outgoing?.passwordSet)} />
          </Tabs.Panel>
        </Tabs>
        {apps.error ? <ErrorAlert error={apps.error} title="Could not load the OAuth2 applications" /> : null}

        <Group>
          <Button type="submit" loading={save.isPending}>
            {mailbox ? 'Save settings' : 'Create mailbox'}
          </Button>
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          {mailbox && form.isDirty() && (
            <Text size="sm" c="dimmed">
              Unsaved changes
            </Text>
          )}
        </Group>
      </Stack>
    </form>
  );
}
