import { Badge, Center, Code, EmptyState, Group, Loader, Modal, Paper, ScrollArea, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconMailOff } from '@tabler/icons-react';
import type { SampleDecision, SampleMailResult } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes, formatDateTime } from '../components/format';

interface Props {
  opened: boolean;
  onClose: () => void;
  loading: boolean;
  error: unknown;
  result: SampleMailResult | undefined;
  server: string;
}

const OUTCOME_COLORS: Record<string, string> = { 'new request': 'green', append: 'blue', ignored: 'gray', quarantine: 'orange' };

/** "Fetch a sample mail": the oldest mail of the folder, read without changing anything. */
export function SampleMailModal({ opened, onClose, loading, error, result, server }: Props) {
  return (
    <Modal opened={opened} onClose={onClose} title="Sample mail" size="xl" fullScreen={false}>
      {loading && (
        <Center py="xl">
          <Stack align="center" gap="xs">
            <Loader />
            <Text size="sm" c="dimmed">
              Connecting to {server} and reading the oldest mail…
            </Text>
          </Stack>
        </Center>
      )}
      {!loading && error ? <ErrorAlert error={error} title="The sample mail could not be fetched" /> : null}
      {!loading && result && !result.found && (
        <EmptyState icon={<IconMailOff size={28} />} withIndicatorBackground title="The folder is empty" description="The connection and login worked, but there is no mail to show yet." />
      )}
      {!loading && result?.found && result.message && (
        <Stack gap="md">
          <Title order={2} size="h4" style={{ overflowWrap: 'anywhere' }} data-testid="sample-subject">
            {result.message.subject ?? '(no subject)'}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <Field label="From" value={result.message.from} />
            <Field label="To" value={result.message.to} />
            <Field label="Date" value={formatDateTime(result.message.date)} />
            <Field label="Size" value={formatBytes(result.message.size)} />
          </SimpleGrid>
          {result.message.messageId && (
            <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              Message-ID: <Code>{result.message.messageId}</Code>
            </Text>
          )}
          <Paper withBorder p="sm" bg="gray.0">
            <ScrollArea.Autosize mah={260}>
              <pre className="mono-pre">{result.message.text || '(no text part)'}</pre>
            </ScrollArea.Autosize>
          </Paper>
          {result.message.attachments.length > 0 && (
            <Table aria-label="Attachments" withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Attachment</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Size</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {result.message.attachments.map((attachment, index) => (
                  <Table.Tr key={`${attachment.filename}-${index}`}>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{attachment.filename ?? '(unnamed)'}</Table.Td>
                    <Table.Td>{attachment.contentType}</Table.Td>
                    <Table.Td>{formatBytes(attachment.size)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {result.decision && <Decision decision={result.decision} />}
        </Stack>
      )}
    </Modal>
  );
}

function Field({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
      <Text span c="dimmed">
        {label}:{' '}
      </Text>
      {value || '—'}
    </Text>
  );
}

function Decision({ decision }: { decision: SampleDecision }) {
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Group gap="xs">
          <Text size="sm" fw={600}>
            Fetching it would:
          </Text>
          <Badge color={OUTCOME_COLORS[decision.outcome] ?? 'gray'} variant="light">
            {decision.outcome}
            {decision.request ? ` #${decision.request}` : ''}
          </Badge>
          {decision.autoReply && <Badge color="gray">auto-reply</Badge>}
        </Group>
        {decision.requester && <Field label="Requester" value={decision.requester.name ? `${decision.requester.name} <${decision.requester.email}>` : decision.requester.email} />}
        {decision.rule && <Field label="Rule" value={decision.rule} />}
        {decision.reason && <Field label="Reason" value={decision.reason} />}
        {decision.acknowledge !== undefined && <Field label="Acknowledgement" value={decision.acknowledge ? 'would be sent' : 'would not be sent'} />}
        <Text size="xs" c="dimmed">
          Worked out without side effects: nothing was stored and nothing was sent.
        </Text>
      </Stack>
    </Paper>
  );
}
