import { Alert, Button, Group, Modal, Paper, Select, SimpleGrid, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { IconAlertTriangle, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/endpoints';
import { keys, useOAuthApp, useProviders } from '../api/hooks';
import type { OAuthApp, ProviderName, TokenEndpointAuthMethod } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { pathExists, splitFieldErrors } from '../components/form-errors';
import { formatDateTime } from '../components/format';
import { Loading } from '../components/Loading';
import { PageHeader } from '../components/PageHeader';
import { SecretInput } from '../components/SecretInput';
import { AUTH_METHOD_LABELS, appToForm, emptyAppForm, formToInput, type AppFormValues } from './app-form';
import { ProviderFields } from './ProviderFields';

/** Add (`/oauth-apps/new`) or edit (`/oauth-apps/:id`) an OAuth2 application. */
export function OAuthAppFormPage() {
  const { id } = useParams();
  const app = useOAuthApp(id);
  if (id && app.isPending) return <Loading label="Loading the application" />;
  if (id && app.error) return <ErrorAlert error={app.error} title="Could not load the application" />;
  return <AppForm key={id ?? 'new'} app={app.data} />;
}

function AppForm({ app }: { app: OAuthApp | undefined }) {
  const editing = Boolean(app);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const providers = useProviders();
  const [summary, setSummary] = useState<string[]>([]);
  const form = useForm<AppFormValues>({ mode: 'controlled', initialValues: app ? appToForm(app) : emptyAppForm() });
  const preset = providers.data?.providers.find((p) => p.provider === form.values.provider);

  const save = useMutation({
    mutationFn: (values: AppFormValues) => (app ? api.oauthApps.update(app.id, formToInput(values, true)) : api.oauthApps.create(formToInput(values, false))),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: keys.oauthApps });
      queryClient.setQueryData(keys.oauthApp(saved.id), saved);
      navigate('/oauth-apps');
    },
    onError: (error) => {
      const { fields, all } = splitFieldErrors(error, (path) => pathExists(form.values, path));
      form.setErrors(fields);
      setSummary(all);
    },
  });

  // A new app starts with the first provider's name; changing provider keeps a typed name.
  function chooseProvider(value: string | null) {
    if (!value) return;
    const next = providers.data?.providers.find((p) => p.provider === value);
    const previousName = preset?.name ?? '';
    form.setValues({
      provider: value as ProviderName,
      name: !form.values.name || form.values.name === previousName ? (next?.name ?? '') : form.values.name,
      baseScope: 'imap',
      authority: value === 'outlook' ? form.values.authority : '',
      override: value === 'custom',
    });
  }
  useEffect(() => {
    if (!editing && preset && !form.values.name) form.setFieldValue('name', preset.name);
  }, [preset?.provider]);

  const defaultRedirect = `${window.location.origin}/oauth/callback`;
  return (
    <>
      <PageHeader
        title={app ? app.name : 'Add an OAuth2 application'}
        description="Register deskmail at the provider first (Google Cloud console, Microsoft Entra ID app registrations, Mail.ru developer portal), then copy its values here."
        actions={app ? <DeleteApp app={app} /> : undefined}
      />
      <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
        <Stack gap="lg" maw={760}>
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
          {app?.clientSecretExpiring && (
            <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} title="The client secret expires soon">
              It expires {formatDateTime(app.clientSecretExpiresAt)}. Create a new secret at the provider, paste it below and update its expiry date
              before then, or mailboxes using this app stop refreshing their tokens.
            </Alert>
          )}

          <Paper withBorder p="md">
            <Stack gap="md">
              <Select
                label="Provider"
                required
                data={(providers.data?.providers ?? []).map((p) => ({ value: p.provider, label: p.name }))}
                allowDeselect={false}
                disabled={!providers.data}
                {...form.getInputProps('provider')}
                onChange={chooseProvider}
              />
              {providers.error ? <ErrorAlert error={providers.error} title="Could not load the provider presets" /> : null}
              <TextInput label="Name" description="How mailboxes refer to this application." {...form.getInputProps('name')} />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Client ID" required autoComplete="off" {...form.getInputProps('clientId')} />
                <SecretInput label="Client secret" set={Boolean(app?.clientSecretSet)} {...form.getInputProps('clientSecret')} />
              </SimpleGrid>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput
                  type="date"
                  label="Client secret expires on"
                  description="deskmail warns 30 days before (Microsoft secrets expire)."
                  {...form.getInputProps('clientSecretExpiresAt')}
                />
                <TextInput
                  label="Redirect URL"
                  placeholder={defaultRedirect}
                  description={`Register exactly this URL at the provider. Blank: ${app && app.redirectUrlConfigured === false ? app.redirectUrl : defaultRedirect}`}
                  {...form.getInputProps('redirectUrl')}
                />
              </SimpleGrid>
            </Stack>
          </Paper>

          <Paper withBorder p="md">
            <ProviderFields form={form} preset={preset} />
          </Paper>

          <Paper withBorder p="md">
            <Stack gap="md">
              <Select
                label="Token endpoint authentication"
                placeholder={preset?.tokenEndpointAuthMethod ? `Provider default: ${preset.tokenEndpointAuthMethod}` : 'Provider default'}
                data={Object.entries(AUTH_METHOD_LABELS).map(([value, label]) => ({ value, label }))}
                clearable
                value={form.values.tokenEndpointAuthMethod || null}
                onChange={(value) => form.setFieldValue('tokenEndpointAuthMethod', (value ?? '') as TokenEndpointAuthMethod | '')}
                error={form.errors.tokenEndpointAuthMethod}
              />
              <Switch label="Enabled" description="A disabled app starts no new consents; existing grants keep refreshing." {...form.getInputProps('enabled', { type: 'checkbox' })} />
            </Stack>
          </Paper>

          <Group>
            <Button type="submit" loading={save.isPending}>
              {app ? 'Save application' : 'Add application'}
            </Button>
            <Button component={Link} to="/oauth-apps" variant="default">
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </>
  );
}

function DeleteApp({ app }: { app: OAuthApp }) {
  const [opened, { open, close }] = useDisclosure(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.oauthApps.remove(app.id),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.oauthApps });
      navigate('/oauth-apps');
    },
  });
  return (
    <>
      <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={open}>
        Delete
      </Button>
      <Modal opened={opened} onClose={close} title={`Delete “${app.name}”?`}>
        <Stack>
          <Text size="sm">Its stored grants are deleted with it. An app that a mailbox still uses cannot be deleted.</Text>
          {remove.error ? <ErrorAlert error={remove.error} title="Could not delete" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
