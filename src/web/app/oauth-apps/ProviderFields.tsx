import { Alert, Autocomplete, Code, Group, Select, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { IconInfoCircle } from '@tabler/icons-react';
import type { BaseScope, ProviderPreset } from '../api/types';
import { BASE_SCOPE_LABELS, baseScopesOf, presetScopes, presetUrls, type AppFormValues } from './app-form';

interface Props {
  form: UseFormReturnType<AppFormValues>;
  preset: ProviderPreset | undefined;
}

/** The part of the app form that depends on the provider: authority, base scope, URLs, scopes. */
export function ProviderFields({ form, preset }: Props) {
  const { provider, authority, baseScope, override } = form.values;
  const custom = provider === 'custom';
  const urls = presetUrls(preset, authority);
  const scopes = presetScopes(preset, baseScope);

  function setOverride(on: boolean) {
    form.setFieldValue('override', on);
    // Start the editable copies from the preset, so an override changes only what the admin edits.
    if (on && !form.values.authorizeUrl) form.setFieldValue('authorizeUrl', urls.authorizeUrl);
    if (on && !form.values.tokenUrl) form.setFieldValue('tokenUrl', urls.tokenUrl);
    if (on && form.values.scopes.length === 0) form.setFieldValue('scopes', scopes);
  }

  return (
    <Stack gap="md">
      {provider === 'outlook' && (
        <>
          <Autocomplete
            label="Account types (authority)"
            description="common: work/school and personal accounts · consumers: personal accounts (Outlook.com, Hotmail) · organizations: Microsoft 365 only · or your tenant’s Directory ID."
            placeholder={preset?.defaultAuthority ?? 'common'}
            data={preset?.authorities ?? ['common', 'consumers', 'organizations']}
            {...form.getInputProps('authority')}
          />
          <Select
            label="Base scope"
            description="Pick what you granted in Azure (API permissions): IMAP.AccessAsUser.All + SMTP.Send, or Mail.ReadWrite + Mail.Send."
            data={baseScopesOf(preset).map((value) => ({ value, label: BASE_SCOPE_LABELS[value] }))}
            allowDeselect={false}
            {...form.getInputProps('baseScope')}
            onChange={(value) => value && form.setFieldValue('baseScope', value as BaseScope)}
          />
          <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />} title="Microsoft Graph scopes need the Graph base scope">
            A Microsoft access token is issued for one API. With <b>{BASE_SCOPE_LABELS.imap}</b> or <b>EWS</b> as base scope it works only for those
            mail protocols, so additional Graph scopes (<Code>https://graph.microsoft.com/…</Code>, e.g. <Code>Calendars.Read</Code>) are accepted
            only with the <b>{BASE_SCOPE_LABELS.graph}</b> base scope, and IMAP/POP/SMTP/EWS scopes only without it. Add <Code>offline_access</Code> in
            Azure too, so deskmail can refresh tokens.
          </Alert>
        </>
      )}
      {provider === 'gmail' && (
        <Text size="sm" c="dimmed">
          Google gets <Code>access_type=offline</Code> and <Code>prompt=consent</Code> on every consent, so it always issues a refresh token. An app in
          “Testing” status gets refresh tokens that expire after 7 days: publish it.
        </Text>
      )}

      {!custom && (
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Provider endpoints
          </Text>
          <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            Authorize: <Code>{urls.authorizeUrl}</Code>
            <br />
            Token: <Code>{urls.tokenUrl}</Code>
            <br />
            Scopes: {scopes.map((scope) => <Code key={scope} mr={4}>{scope}</Code>)}
          </Text>
          <Switch
            mt="xs"
            label="Override the preset’s URLs and scopes"
            checked={override}
            onChange={(event) => setOverride(event.currentTarget.checked)}
          />
        </Stack>
      )}

      {(custom || override) && (
        <>
          <TextInput
            label="Authorize URL"
            required={custom}
            placeholder="https://login.example.com/oauth2/authorize"
            description="https (http only for a loopback test server)."
            {...form.getInputProps('authorizeUrl')}
          />
          <TextInput label="Access token URL" required={custom} placeholder="https://login.example.com/oauth2/token" {...form.getInputProps('tokenUrl')} />
          <TagsInput
            label="Scopes"
            required={custom}
            description="Press Enter after each scope. Include what your server needs for a refresh token (often offline_access)."
            placeholder="e.g. openid email offline_access"
            splitChars={[' ', ',']}
            {...form.getInputProps('scopes')}
          />
        </>
      )}

      <TagsInput
        label="Additional scopes"
        description="Appended to the base scopes, for other APIs your applications call with the tokens deskmail keeps."
        placeholder="Add a scope and press Enter"
        splitChars={[' ', ',']}
        {...form.getInputProps('additionalScopes')}
      />
      {preset?.identityScopes && preset.identityScopes.length > 0 && (
        <Group gap={4}>
          <Text size="xs" c="dimmed">
            Also requested, to learn the mailbox user:
          </Text>
          {preset.identityScopes.map((scope) => (
            <Code key={scope}>{scope}</Code>
          ))}
        </Group>
      )}
    </Stack>
  );
}
