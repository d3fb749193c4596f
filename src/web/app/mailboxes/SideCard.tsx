import { Alert, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { GrantSummary, LastError, SideState } from '../api/types';
import { formatDateTime, formatRelative } from '../components/format';
import { StateBadge } from '../components/StateBadge';

interface Props {
  side: 'incoming' | 'outgoing';
  title: string;
  state: SideState | undefined;
  lastError: LastError | null | undefined;
  children?: ReactNode;
  actions?: ReactNode;
}

/** One side of a mailbox: its state badge with the last error beside it, facts, actions. */
export function SideCard({ side, title, state, lastError, children, actions }: Props) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={`${side}-title`} data-side={side}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Title order={2} size="h4" id={`${side}-title`}>
            {title}
          </Title>
          <StateBadge state={state} side={title} />
        </Group>
        {lastError && (
          <Alert color="red" variant="light" p="xs" title={lastError.code} data-testid={`${side}-last-error`}>
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {lastError.message}
            </Text>
            <Text size="xs" c="dimmed">
              {formatDateTime(lastError.at)}
            </Text>
          </Alert>
        )}
        {children}
        {actions && <Group gap="xs">{actions}</Group>}
      </Stack>
    </Paper>
  );
}

export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
      <Text span c="dimmed">
        {label}:{' '}
      </Text>
      {children}
    </Text>
  );
}

/** The OAuth2 grant as the API summarizes it (never the tokens). */
export function GrantFacts({ grant }: { grant: GrantSummary | null | undefined }) {
  if (!grant) return null;
  const warnings = grant.warning ? (Array.isArray(grant.warning) ? grant.warning : [grant.warning]) : [];
  return (
    <>
      <Fact label="Authorized as">{grant.user ?? 'unknown user'}</Fact>
      <Fact label="Access token expires">
        {formatDateTime(grant.expires)}
        {grant.nextRefreshAt ? ` · refresh ${formatRelative(grant.nextRefreshAt)}` : ''}
      </Fact>
      {warnings.map((warning) => (
        <Alert key={warning} color="orange" variant="light" p="xs">
          <Text size="sm">{warning}</Text>
        </Alert>
      ))}
    </>
  );
}
