import { Anchor, Badge, Button, Group, Text, Tooltip } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useOAuthApps, useProviders } from '../api/hooks';
import type { OAuthApp } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { formatDateTime } from '../components/format';
import { PageHeader } from '../components/PageHeader';

export function OAuthAppsPage() {
  const apps = useOAuthApps();
  const providers = useProviders();
  const providerName = (app: OAuthApp) => providers.data?.providers.find((p) => p.provider === app.provider)?.name ?? app.provider;

  const columns: Column<OAuthApp>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (app) => (
        <Anchor component={Link} to={`/oauth-apps/${app.id}`} fw={500}>
          {app.name}
        </Anchor>
      ),
    },
    { key: 'provider', header: 'Provider', render: (app) => providerName(app) + (app.provider === 'outlook' ? ` (${app.authority ?? 'common'}, ${app.baseScope})` : '') },
    { key: 'client', header: 'Client ID', visibleFrom: 'md', render: (app) => <Text size="sm" ff="monospace">{app.clientId}</Text> },
    { key: 'secret', header: 'Client secret', render: (app) => <SecretBadges app={app} /> },
    { key: 'enabled', header: 'Status', render: (app) => (app.enabled ? <Badge color="green" variant="light">Enabled</Badge> : <Badge color="gray">Disabled</Badge>) },
  ];

  return (
    <>
      <PageHeader
        title="OAuth2 applications"
        description="The client registrations deskmail uses to ask Google, Microsoft, Mail.ru or your own authorization server for mailbox access."
        actions={
          <Button component={Link} to="/oauth-apps/new" leftSection={<IconPlus size={16} />}>
            Add application
          </Button>
        }
      />
      <DataTable
        label="OAuth2 applications"
        columns={columns}
        rows={apps.data?.apps}
        rowKey={(app) => app.id}
        loading={apps.isPending}
        error={apps.error}
        empty={{
          title: 'No OAuth2 applications yet',
          description: 'Add one before configuring a mailbox with OAuth2 authentication.',
          action: (
            <Button component={Link} to="/oauth-apps/new">
              Add application
            </Button>
          ),
        }}
      />
    </>
  );
}

export function SecretBadges({ app }: { app: Pick<OAuthApp, 'clientSecretSet' | 'clientSecretExpiring' | 'clientSecretExpiresAt'> }) {
  return (
    <Group gap={6} wrap="wrap">
      {app.clientSecretSet ? (
        <Badge color="teal" variant="light">
          set
        </Badge>
      ) : (
        <Badge color="gray" variant="outline">
          not set
        </Badge>
      )}
      {app.clientSecretExpiring && (
        <Tooltip label={`Expires ${formatDateTime(app.clientSecretExpiresAt)}: create a new secret at the provider and update the app`}>
          <Badge color="orange" variant="filled" tabIndex={0}>
            {app.clientSecretExpiresAt && new Date(app.clientSecretExpiresAt) < new Date() ? 'expired' : 'expires soon'}
          </Badge>
        </Tooltip>
      )}
    </Group>
  );
}
