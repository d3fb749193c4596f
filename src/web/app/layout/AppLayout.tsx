import { Anchor, AppShell, Burger, Button, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconAlertOctagon, IconBook, IconInbox, IconKey, IconLogout, IconMail, IconSend } from '@tabler/icons-react';
import { useEffect, type ComponentType } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { signOut } from '../auth/session';

const NAV: Array<{ to: string; label: string; icon: ComponentType<{ size?: number }> }> = [
  { to: '/mailboxes', label: 'Mailboxes', icon: IconMail },
  { to: '/requests', label: 'Requests', icon: IconInbox },
  { to: '/quarantine', label: 'Quarantine', icon: IconAlertOctagon },
  { to: '/outbox', label: 'Outbox', icon: IconSend },
  { to: '/oauth-apps', label: 'OAuth2 applications', icon: IconKey },
];

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  useEffect(close, [location.pathname, close]);

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Anchor component={Link} to="/mailboxes" underline="never" c="inherit">
              <Text fw={700} size="lg">
                deskmail <Text span c="dimmed" fw={400} size="sm">admin</Text>
              </Text>
            </Anchor>
          </Group>
          <Button variant="subtle" color="gray" size="compact-sm" leftSection={<IconLogout size={16} />} onClick={() => signOut()}>
            Sign out
          </Button>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          {NAV.map(({ to, label, icon: Icon }) => (
            <NavLink
              key={to}
              component={Link}
              to={to}
              label={label}
              leftSection={<Icon size={18} />}
              active={location.pathname === to || location.pathname.startsWith(`${to}/`)}
              aria-current={location.pathname.startsWith(to) ? 'page' : undefined}
            />
          ))}
        </AppShell.Section>
        <AppShell.Section>
          <NavLink href="/docs" target="_blank" rel="noopener" label="API reference" leftSection={<IconBook size={18} />} />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
