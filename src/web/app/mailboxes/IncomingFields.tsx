import { Anchor, Checkbox, Fieldset, Group, NumberInput, Radio, Select, SimpleGrid, Stack, Switch, Text, TextInput, Textarea } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { Link } from 'react-router';
import type { IncomingProtocol, OAuthApp, ProviderPreset } from '../api/types';
import { SecretInput } from '../components/SecretInput';
import {
  AFTER_FETCH_LABELS,
  INCOMING_PROTOCOLS,
  afterFetchOptions,
  isImap,
  isPop,
  serverPresets,
  usesConnectUrl,
  usesHost,
  withIncomingAuth,
  withIncomingProtocol,
  withServerPreset,
  type MailboxFormValues,
} from './mailbox-form';

interface Props {
  form: UseFormReturnType<MailboxFormValues>;
  apps: OAuthApp[];
  providers: ProviderPreset[] | undefined;
  passwordSet: boolean;
}

/** Incoming server settings; the fields shown follow the protocol and authentication type. */
export function IncomingFields({ form, apps, providers, passwordSet }: Props) {
  const side = form.values.incoming;
  const input = (path: string, options?: { type: 'checkbox' }) => form.getInputProps(`incoming.${path}`, options);
  const oauth = side.authType === 'oauth2';

  function chooseApp(id: string | null) {
    const app = apps.find((a) => a.id === id);
    form.setFieldValue('incoming', withServerPreset({ ...side, oauth2App: id }, serverPresets(app, providers, 'incoming')));
  }

  return (
    <Stack gap="lg">
      <Fieldset legend="Server">
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Connection protocol"
              required
              allowDeselect={false}
              data={INCOMING_PROTOCOLS.map((p) => ({ ...p, disabled: oauth && (p.value === 'imap' || p.value === 'pop') }))}
              {...input('protocol')}
              onChange={(value) => value && form.setFieldValue('incoming', withIncomingProtocol(side, value as IncomingProtocol))}
            />
            <Radio.Group
              label="Authentication type"
              required
              {...input('authType')}
              onChange={(value) => form.setFieldValue('incoming', withIncomingAuth(side, value as 'password' | 'oauth2'))}
            >
              <Group mt={8}>
                <Radio value="password" label="Password" disabled={side.protocol === 'graph'} />
                <Radio value="oauth2" label="OAuth2" />
              </Group>
            </Radio.Group>
          </SimpleGrid>
          {oauth && (side.protocol === 'imaps' || side.protocol === 'pops') && (
            <Text size="xs" c="dimmed">
              OAuth2 is offered on IMAPS and POPS only: no token ever crosses an unencrypted connection.
            </Text>
          )}
          {usesHost(side.protocol) && (
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <TextInput label="Server name / IP address" required placeholder="imap.example.com" style={{ gridColumn: 'span 2' }} {...input('host')} />
              <NumberInput label="Port" required min={1} max={65535} allowDecimal={false} description="Filled in per protocol" {...input('port')} />
            </SimpleGrid>
          )}
          {usesConnectUrl(side.protocol) && (
            <TextInput
              label="Connect URL"
              required={side.protocol === 'ews'}
              placeholder={side.protocol === 'ews' ? 'https://mail.example.com/EWS/Exchange.asmx' : 'https://graph.microsoft.com'}
              description={side.protocol === 'ews' ? 'The EWS endpoint of your Exchange server.' : 'Optional: another Graph base URL (national clouds).'}
              {...input('connectUrl')}
            />
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Username"
              required={!oauth}
              autoComplete="off"
              description={oauth ? 'The mailbox user; the account that consents must be this user.' : undefined}
              {...input('username')}
            />
            {!oauth && <SecretInput label="Password" set={passwordSet} {...input('password')} />}
            {oauth && (
              <Select
                label="OAuth2 application"
                required
                placeholder={apps.length ? 'Choose an application' : 'No OAuth2 application yet'}
                data={apps.map((app) => ({ value: app.id, label: `${app.name}${app.enabled ? '' : ' (disabled)'}` }))}
                description={
                  <>
                    Server settings are filled in from its provider. <Anchor component={Link} to="/oauth-apps/new" size="xs">Add an application</Anchor>
                  </>
                }
                {...input('oauth2App')}
                onChange={chooseApp}
              />
            )}
          </SimpleGrid>
          {!isPop(side.protocol) && <TextInput label="Folder" description="Where new mail arrives (IMAP folder or mailbox folder)." {...input('folder')} />}
        </Stack>
      </Fieldset>

      <Fieldset legend="Fetching">
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput label="Fetch interval (minutes)" min={1} max={1440} allowDecimal={false} required {...input('fetchIntervalMinutes')} />
            <Select
              label="After a mail is turned into a request"
              allowDeselect={false}
              data={afterFetchOptions(side.protocol).map((value) => ({ value, label: AFTER_FETCH_LABELS[value] }))}
              {...input('afterFetch')}
            />
          </SimpleGrid>
          {side.afterFetch === 'move' && <TextInput label="Move to folder" required placeholder="Processed" {...input('moveTo')} />}
          {isImap(side.protocol) && (
            <Switch label="Listen with IMAP IDLE" description="Also fetch as soon as mail arrives, between the scheduled fetches." {...input('idle', { type: 'checkbox' })} />
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Mail already on the server at the first fetch"
              allowDeselect={false}
              data={[
                { value: 'since', label: 'Import mail received since a date' },
                { value: 'all', label: 'Import all of it' },
                { value: 'none', label: 'Import none (only new mail)' },
              ]}
              {...input('importExisting')}
            />
            {side.importExisting === 'since' && <TextInput type="date" label="Import mail received since" {...input('importSince')} />}
          </SimpleGrid>
          <Switch label="Enable email debug" description="Keep the protocol transcript in the logs (passwords and tokens are redacted)." {...input('debug', { type: 'checkbox' })} />
          <Checkbox
            label="Disable new request creation by email"
            description="Replies to existing requests are still added; new threads do not become requests."
            checked={!side.createRequests}
            onChange={(event) => form.setFieldValue('incoming.createRequests', !event.currentTarget.checked)}
            error={form.errors['incoming.createRequests']}
          />
          <Switch label="Fetch mail from this server" {...input('enabled', { type: 'checkbox' })} />
        </Stack>
      </Fieldset>

      <Fieldset legend="Advanced">
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label="Fallback charset" description="For text that declares none or a broken one." {...input('fallbackCharset')} />
            <NumberInput label="Loop limit: mails" min={1} allowDecimal={false} description="From one requester, one subject…" {...input('loopLimit.count')} />
            <NumberInput label="Loop limit: minutes" min={1} allowDecimal={false} description="…within this time go to quarantine." {...input('loopLimit.minutes')} />
          </SimpleGrid>
          <Textarea
            label="CA certificate (PEM)"
            description="For a self-signed or private-CA server: the certificate to trust. Host names are still verified."
            placeholder="-----BEGIN CERTIFICATE-----"
            autosize
            minRows={2}
            maxRows={8}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
            {...input('caCertificate')}
          />
        </Stack>
      </Fieldset>
    </Stack>
  );
}
