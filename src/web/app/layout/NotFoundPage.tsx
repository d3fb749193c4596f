import { Button, EmptyState } from '@mantine/core';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <EmptyState title="Page not found" description="This address is not a page of the deskmail admin." py="xl">
      <EmptyState.Actions>
        <Button component={Link} to="/mailboxes">
          Go to mailboxes
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}
