import { Fieldset, Group, NumberInput, Radio, Select, SimpleGrid, Stack, Switch, Text, TextInput, Textarea } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import type { OAuthApp, OutgoingProtocol, ProviderPreset } from '../api/types';
import { SecretInput } from '../components/SecretInput';
import { OUTGOING_PROTOCOLS, serverPresets, usesConnectUrl, usesHost, withOutgoingProtocol, withServerPreset, type MailboxFormValues, type OutgoingForm } from './mailbox-form';

interface Props {
  form: UseFormReturnType<MailboxFormValues>;
  apps: OAuthApp[];
  providers: ProviderPreset[] | undefined;
  passwordSet: boolean;
}

/** Outgoing server settings: SMTP/SMTPS (TLS, alternate server), EWS or Graph; sender details. */
export function OutgoingFields({ form, apps, providers, passwordSet }: Props) {
  const { hasOutgoing, incoming } = form.values;
  const side = form.values.outgoing;
  const input = (path: string, options?: { type: 'checkbox' }) => form.getInputProps(`outgoing.${path}`, options);
  const oauth = side.authType === 'oauth2';
  const canShare = oauth && incoming.authType === 'oauth2';
  const shared = canShare && side.sameAsIncoming;

  function chooseApp(id: string | null) {
    const app = apps.find((a) => a.id === id);
    form.setFieldValue('outgoing', withServerPreset({ ...side, oauth2App: id }, serverPresets(app, providers, 'outgoing')));
  }
  function shareIncoming(on: boolean) {
    const app = apps.find((a) => a.id === incoming.oauth2App);
    const next = { ...side, sameAsIncoming: on };
    form.setFieldValue('outgoing', on ? withServerPreset(next, serverPresets(app, providers, 'outgoing')) : next);
  }

  return (
    <Stack gap="lg">
      <Switch
        label="Send replies and notifications from this mailbox"
        description="Without outgoing settings deskmail only receives mail for this mailbox."
        {...form.getInputProps('hasOutgoing', { type: 'checkbox' })}
      />
      {hasOutgoing && (
        <>
          <Fieldset legend="Server">
            <Stack gap="md">
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label="Connection protocol"
                  required
                  allowDeselect={false}
                  data={OUTGOING_PROTOCOLS}
                  {...input('protocol')}
                  onChange={(value) => value && form.setFieldValue('outgoing', withOutgoingProtocol(side, value as OutgoingProtocol))}
                />
                <Radio.Group
                  label="Authentication type"
                  required
                  {...input('authType')}
                  onChange={(value) => form.setFieldValue('outgoing', { ...side, authType: value as OutgoingForm['authType'] })}
                >
                  <Group mt={8}>
                    <Radio value="none" label="None" disabled={!usesHost(side.protocol)} />
                    <Radio value="password" label="Password" disabled={side.protocol === 'graph'} />
                    <Radio value="oauth2" label="OAuth2" />
                  </Group>
                </Radio.Group>
              </SimpleGrid>
              {usesHost(side.protocol) && (
                <>
                  <SimpleGrid cols={{ base: 1, sm: 3 }}>
                    <TextInput label="Server name / IP address" required placeholder="smtp.example.com" style={{ gridColumn: 'span 2' }} {...input('host')} />
                    <NumberInput label="Port" required min={1} max={65535} allowDecimal={false} description="Filled in per protocol" {...input('port')} />
                  </SimpleGrid>
                  <TextInput
                    label="Alternate server name / IP address"
                    description="Used when the primary server cannot be reached."
                    placeholder="smtp2.example.com"
                    {...input('alternateHost')}
                  />
                  {side.protocol === 'smtp' ? (
                    <Switch
                      label="TLS (STARTTLS)"
                      description="Required whenever a password or token is sent: deskmail never sends credentials unencrypted."
                      {...input('tls', { type: 'checkbox' })}
                    />
                  ) : (
                    <Text size="xs" c="dimmed">
                      SMTPS always uses TLS from the first byte.
                    </Text>
                  )}
                </>
              )}
              {usesConnectUrl(side.protocol) && (
                <TextInput
                  label="Connect URL"
                  required={side.protocol === 'ews'}
                  placeholder={side.protocol === 'ews' ? 'https://mail.example.com/EWS/Exchange.asmx' : 'https://graph.microsoft.com'}
                  {...input('connectUrl')}
                />
              )}
              {oauth && (
                <Switch
                  label="Same authorization as incoming"
                  description={canShare ? 'Reuse the incoming OAuth2 grant: one consent for both sides.' : 'Available when incoming also uses OAuth2.'}
                  disabled={!canShare}
                  checked={shared}
                  onChange={(event) => shareIncoming(event.currentTarget.checked)}
                  error={form.errors['outgoing.sameAsIncoming']}
                />
              )}
              {side.authType !== 'none' && (
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput
                    label="Username"
                    required={side.authType === 'password'}
                    autoComplete="off"
                    description={oauth ? 'Blank: the incoming username or the sender address.' : undefined}
                    {...input('username')}
                  />
                  {side.authType === 'password' && <SecretInput label="Password" set={passwordSet} {...input('password')} />}
                  {oauth && !shared && (
                    <Select
                      label="OAuth2 application"
                      required
                      placeholder={apps.length ? 'Choose an application' : 'No OAuth2 application yet'}
                      data={apps.map((app) => ({ value: app.id, label: app.name }))}
                      {...input('oauth2App')}
                      onChange={chooseApp}
                    />
                  )}
                </SimpleGrid>
              )}
            </Stack>
          </Fieldset>

          <Fieldset legend="Sender">
            <Stack gap="md">
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Sender name" placeholder={form.values.name || 'Example Support'} {...input('senderName')} />
                <TextInput label="Sender address" placeholder={form.values.emailAddresses[0] ?? 'support@example.com'} {...input('senderAddress')} />
              </SimpleGrid>
              <TextInput label="Reply-to address" placeholder="Blank: the sender address" {...input('replyTo')} />
              <Switch label="Acknowledge new requests" description="Send the requester an acknowledgement when a request is created." {...input('acknowledge', { type: 'checkbox' })} />
              <Switch label="Enable email debug" description="Keep the SMTP transcript in the logs (credentials redacted)." {...input('debug', { type: 'checkbox' })} />
              <Switch label="Send mail through this server" {...input('enabled', { type: 'checkbox' })} />
            </Stack>
          </Fieldset>

          <Fieldset legend="Advanced">
            <Textarea
              label="CA certificate (PEM)"
              description="For a self-signed or private-CA server. Host names are still verified."
              placeholder="-----BEGIN CERTIFICATE-----"
              autosize
              minRows={2}
              maxRows={8}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
              {...input('caCertificate')}
            />
          </Fieldset>
        </>
      )}
    </Stack>
  );
}
