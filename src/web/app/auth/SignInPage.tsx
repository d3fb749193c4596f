import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { api } from '../api/endpoints';
import { ErrorAlert } from '../components/ErrorAlert';
import { signIn, type SignOutReason } from './session';

/** The API token is checked with one authenticated call before it is kept for the session. */
export function SignInPage({ reason }: { reason: SignOutReason | null }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [wrong, setWrong] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) return;
    setBusy(true);
    setWrong(false);
    setError(null);
    try {
      await api.verifyToken(candidate);
      signIn(candidate);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) setWrong(true);
      else setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="lg" w="100%" maw={440}>
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <div>
              <Title order={1} size="h2">
                deskmail admin
              </Title>
              <Text c="dimmed" size="sm">
                Mail server settings, OAuth2 applications and helpdesk requests.
              </Text>
            </div>
            {reason === 'rejected' && !wrong && (
              <Alert color="yellow" variant="light" title="Signed out">
                The service no longer accepts the API token this tab used. Sign in again with the current token.
              </Alert>
            )}
            <PasswordInput
              label="API token"
              description="DESKMAIL_API_TOKEN, or the token the service printed on its first start (kept in data/api-token)."
              placeholder="Paste the API token"
              value={token}
              onChange={(event) => setToken(event.currentTarget.value)}
              error={wrong ? 'This API token is wrong: the service answered 401 Unauthorized.' : undefined}
              autoComplete="off"
              spellCheck={false}
              required
              data-autofocus
              autoFocus
              leftSection={<IconLock size={16} />}
            />
            {error ? <ErrorAlert error={error} title="Could not sign in" /> : null}
            <Button type="submit" loading={busy} disabled={!token.trim()} fullWidth>
              Sign in
            </Button>
            <Text size="xs" c="dimmed">
              The token is kept in this browser tab only (session storage) and sent to the service as a bearer token, never in a URL.
            </Text>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
