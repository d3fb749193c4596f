import { Badge, type MantineColor } from '@mantine/core';
import type { SideState } from '../api/types';

const LOOK: Record<SideState, { color: MantineColor; label: string }> = {
  connected: { color: 'green', label: 'Connected' },
  connecting: { color: 'blue', label: 'Connecting' },
  authorizationRequired: { color: 'yellow', label: 'Authorization required' },
  authenticationError: { color: 'red', label: 'Authentication error' },
  connectError: { color: 'red', label: 'Connection error' },
  disabled: { color: 'gray', label: 'Disabled' },
};

/** One side's state; `data-state` carries the contract's value for tests and styling. */
export function StateBadge({ state, side }: { state: SideState | null | undefined; side?: string }) {
  if (!state) {
    return (
      <Badge color="gray" variant="outline" data-state="none">
        Not configured
      </Badge>
    );
  }
  const look = LOOK[state] ?? { color: 'gray', label: state };
  return (
    <Badge color={look.color} variant="light" data-state={state} aria-label={side ? `${side} state: ${look.label}` : undefined}>
      {look.label}
    </Badge>
  );
}
