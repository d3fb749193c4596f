import { Button, Text } from '@mantine/core';
import { IconKey, IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import type { Mailbox } from '../api/types';
import { serverOf } from './IncomingCard';
import { Fact, GrantFacts, SideCard } from './SideCard';
import { TestMailModal } from './TestMailModal';
import type { AuthorizeState } from './useAuthorize';

/** Outgoing: state, last error, sender, and Authorize / Send a test mail. */
export function OutgoingCard({ mailbox, authorize }: { mailbox: Mailbox; authorize: AuthorizeState }) {
  const outgoing = mailbox.outgoing;
  const [testOpen, setTestOpen] = useState(false);
  if (!outgoing) {
    return (
      <SideCard side="outgoing" title="Outgoing" state={undefined} lastError={null}>
        <Text size="sm" c="dimmed">
          No outgoing server: this mailbox receives only. Add one in the Outgoing tab below.
        </Text>
      </SideCard>
    );
  }
  const ownGrant = outgoing.authType === 'oauth2' && !outgoing.sameAsIncoming;
  return (
    <SideCard
      side="outgoing"
      title="Outgoing"
      state={outgoing.state}
      lastError={outgoing.lastError}
      actions={
        <>
          {ownGrant && (
            <Button leftSection={<IconKey size={16} />} onClick={() => authorize.start('outgoing')} loading={authorize.pending === 'outgoing'} variant={outgoing.oauth2 ? 'default' : 'filled'}>
              {outgoing.oauth2 ? 'Authorize again' : 'Authorize'}
            </Button>
          )}
          <Button variant="default" leftSection={<IconSend size={16} />} onClick={() => setTestOpen(true)}>
            Send a test mail
          </Button>
        </>
      }
    >
      <Fact label="Server">
        {outgoing.protocol.toUpperCase()} {serverOf(outgoing)}
        {outgoing.alternateHost ? ` (alternate ${outgoing.alternateHost})` : ''} ·{' '}
        {outgoing.authType === 'oauth2' ? (outgoing.sameAsIncoming ? 'OAuth2, same as incoming' : 'OAuth2') : outgoing.authType}
      </Fact>
      <Fact label="Sender">
        {outgoing.senderName ? `${outgoing.senderName} <${outgoing.senderAddress ?? ''}>` : (outgoing.senderAddress ?? '—')}
        {outgoing.replyTo ? ` · reply-to ${outgoing.replyTo}` : ''}
      </Fact>
      {ownGrant && <GrantFacts grant={outgoing.oauth2} />}
      <TestMailModal mailboxId={mailbox.id} opened={testOpen} onClose={() => setTestOpen(false)} />
    </SideCard>
  );
}
