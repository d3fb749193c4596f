import { Alert, List, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { ApiError, errorText } from '../api/client';

const CODE_HINTS: Record<string, string> = {
  AUTHENTICATION_FAILED: 'The server refused the credentials. Check the user name and password, or authorize again for OAuth2.',
  CONNECTION_FAILED: 'The server could not be reached. Check the host name, the port and any firewall in between.',
  TLS_ERROR: 'The TLS connection failed. Check the protocol (SSL/TLS or STARTTLS) and, for a private CA, the CA certificate.',
  TIMEOUT: 'The server did not answer in time. Check the port and whether the server is overloaded.',
  PROTOCOL_ERROR: 'The server answered something unexpected. Check the protocol and the folder.',
  TOKEN_REQUEST_FAILED: 'The token endpoint refused the request. Check the client ID, the client secret and the token URL.',
  INVALID_GRANT: 'The authorization was revoked or has expired. Authorize the mailbox again.',
  AUTHORIZATION_REQUIRED: 'This side uses OAuth2 and has not been authorized yet. Press “Authorize”.',
};

/** An error as an admin can act on it: the service's own message(s), the code and a hint. */
export function ErrorAlert({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const messages = api ? api.messages : [errorText(error)];
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={api?.code ? `${title} (${api.code})` : title} role="alert">
      {messages.length === 1 ? (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {messages[0]}
        </Text>
      ) : (
        <List size="sm">
          {messages.map((message) => (
            <List.Item key={message}>{message}</List.Item>
          ))}
        </List>
      )}
      {api?.code && CODE_HINTS[api.code] && (
        <Text size="sm" c="dimmed" mt={6}>
          {CODE_HINTS[api.code]}
        </Text>
      )}
    </Alert>
  );
}
