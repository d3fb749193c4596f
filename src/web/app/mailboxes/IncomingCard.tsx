import { Alert, Button, Group, Text } from '@mantine/core';
import { IconDownload, IconKey, IconMailSearch, IconRefresh } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/endpoints';
import { useRefreshMailbox } from '../api/hooks';
import type { Mailbox } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatRelative } from '../components/format';
import { SampleMailModal } from './SampleMailModal';
import { Fact, GrantFacts, SideCard } from './SideCard';
import type { AuthorizeState } from './useAuthorize';

export function serverOf(side: { protocol: string; host: string | null; port: number | null; connectUrl: string | null }): string {
  return side.host ? `${side.host}:${side.port ?? ''}` : (side.connectUrl ?? side.protocol);
}

/** Incoming: state, last error, fetch facts, and Authorize / Fetch a sample mail / Fetch now. */
export function IncomingCard({ mailbox, authorize }: { mailbox: Mailbox; authorize: AuthorizeState }) {
  const incoming = mailbox.incoming;
  const refresh = useRefreshMailbox();
  const [sampleOpen, setSampleOpen] = useState(false);
  const sample = useMutation({ mutationFn: () => api.mailboxes.sampleMail(mailbox.id), onSettled: () => refresh(mailbox.id) });
  const fetchNow = useMutation({ mutationFn: () => api.mailboxes.fetchNow(mailbox.id), onSettled: () => refresh(mailbox.id) });
  const reconnect = useMutation({ mutationFn: () => api.mailboxes.reconnect(mailbox.id), onSettled: () => refresh(mailbox.id) });
  const ledger = incoming.ledger;

  return (
    <SideCard
      side="incoming"
      title="Incoming"
      state={incoming.state}
      lastError={incoming.lastError}
      actions={
        <>
          {incoming.authType === 'oauth2' && (
            <Button leftSection={<IconKey size={16} />} onClick={() => authorize.start('incoming')} loading={authorize.pending === 'incoming'} variant={incoming.oauth2 ? 'default' : 'filled'}>
              {incoming.oauth2 ? 'Authorize again' : 'Authorize'}
            </Button>
          )}
          <Button
            variant="default"
            leftSection={<IconMailSearch size={16} />}
            onClick={() => {
              setSampleOpen(true);
              sample.mutate();
            }}
          >
            Fetch a sample mail
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} loading={fetchNow.isPending} onClick={() => fetchNow.mutate()}>
            Fetch now
          </Button>
          <Button variant="subtle" leftSection={<IconRefresh size={16} />} loading={reconnect.isPending} onClick={() => reconnect.mutate()}>
            Reconnect
          </Button>
        </>
      }
    >
      <Fact label="Server">
        {incoming.protocol.toUpperCase()} {serverOf(incoming)} · {incoming.authType === 'oauth2' ? 'OAuth2' : 'password'}
        {incoming.username ? ` · ${incoming.username}` : ''}
      </Fact>
      <Fact label="Fetch">
        every {incoming.fetchIntervalMinutes} min · last {formatRelative(incoming.lastFetchAt)}
        {incoming.nextFetchAt ? ` · next ${formatRelative(incoming.nextFetchAt)}` : ''}
      </Fact>
      {ledger && (
        <Fact label="Mail seen">
          {ledger.seen} · {ledger.requests} requests · {ledger.appended} appended · {ledger.duplicates} duplicates · {ledger.quarantined} quarantined ·{' '}
          {ledger.ignored} ignored
        </Fact>
      )}
      <GrantFacts grant={incoming.oauth2} />
      {fetchNow.data && (
        <Alert color="green" variant="light" p="xs" title={fetchNow.data.fetched ? 'Fetched' : 'No new mail on the server'} role="status" withCloseButton onClose={() => fetchNow.reset()}>
          <Group gap="xs">
            <Text size="sm">{fetchNow.data.fetched} fetched</Text>
            <Text size="sm">{fetchNow.data.created} new requests</Text>
            <Text size="sm">{fetchNow.data.appended} appended</Text>
            <Text size="sm">{fetchNow.data.skipped} skipped</Text>
            <Text size="sm">{fetchNow.data.quarantined} quarantined</Text>
          </Group>
        </Alert>
      )}
      {fetchNow.error ? <ErrorAlert error={fetchNow.error} title="Fetch failed" /> : null}
      {reconnect.error ? <ErrorAlert error={reconnect.error} title="Reconnect failed" /> : null}
      <SampleMailModal
        opened={sampleOpen}
        onClose={() => setSampleOpen(false)}
        loading={sample.isPending}
        error={sample.error}
        result={sample.data}
        server={serverOf(incoming)}
      />
    </SideCard>
  );
}
