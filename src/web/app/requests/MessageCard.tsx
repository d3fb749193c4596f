import { Badge, Button, Group, Paper, Stack, Tabs, Text } from '@mantine/core';
import { IconPaperclip } from '@tabler/icons-react';
import { useState } from 'react';
import { saveBlob } from '../api/client';
import { api } from '../api/endpoints';
import type { Attachment, RequestMessage } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatAddress, formatAddresses, formatBytes, formatDateTime } from '../components/format';
import { MailHtmlFrame } from './MailHtmlFrame';

/** One mail of a request's thread: headers, HTML (sandboxed) or text, attachments. */
export function MessageCard({ requestId, message }: { requestId: string; message: RequestMessage }) {
  const cc = formatAddresses(message.cc);
  return (
    <Paper withBorder p="md" component="article" aria-label={`Message from ${formatAddress(message.from)}`}>
      <Stack gap="sm">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs">
            <Badge color={message.direction === 'in' ? 'blue' : 'teal'} variant="light">
              {message.direction === 'in' ? 'Received' : 'Sent'}
            </Badge>
            <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
              {formatAddress(message.from) || '(unknown sender)'}
            </Text>
          </Group>
          <Text size="xs" c="dimmed">
            {formatDateTime(message.date)}
          </Text>
        </Group>
        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          To: {formatAddresses(message.to) || '—'}
          {cc ? ` · Cc: ${cc}` : ''}
        </Text>
        {message.html ? (
          <Tabs defaultValue="html" variant="pills">
            <Tabs.List>
              <Tabs.Tab value="html">HTML</Tabs.Tab>
              <Tabs.Tab value="text">Text</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="html" pt="xs">
              <MailHtmlFrame html={message.html} title={`Mail: ${message.subject}`} />
            </Tabs.Panel>
            <Tabs.Panel value="text" pt="xs">
              <pre className="mono-pre">{message.text}</pre>
            </Tabs.Panel>
          </Tabs>
        ) : (
          <pre className="mono-pre">{message.text || '(no text)'}</pre>
        )}
        {message.attachments.length > 0 && (
          <Group gap="xs">
            {message.attachments.map((attachment) => (
              <AttachmentButton key={attachment.id} requestId={requestId} attachment={attachment} />
            ))}
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

/** Downloads with the token in the Authorization header (fetched as a blob), never in a URL. */
function AttachmentButton({ requestId, attachment }: { requestId: string; attachment: Attachment }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const name = attachment.filename ?? 'attachment';
  async function download() {
    setBusy(true);
    setError(null);
    try {
      saveBlob(await api.requests.attachment(requestId, attachment.id), name);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Stack gap={4}>
      <Button variant="default" size="xs" leftSection={<IconPaperclip size={14} />} loading={busy} onClick={download} aria-label={`Download ${name}`}>
        {name} · {formatBytes(attachment.size)}
      </Button>
      {error ? <ErrorAlert error={error} title="Download failed" /> : null}
    </Stack>
  );
}
