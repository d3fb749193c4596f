import { Badge, Group, PasswordInput, type PasswordInputProps } from '@mantine/core';

/** A write-only secret: never shown, a "set" badge when one is stored, blank keeps it. */
export function SecretInput({ label, set, ...props }: PasswordInputProps & { label: string; set: boolean }) {
  return (
    <PasswordInput
      label={
        <Group gap={6} component="span" display="inline-flex">
          {label}
          {set && (
            <Badge size="xs" color="teal" variant="light" component="span">
              set
            </Badge>
          )}
        </Group>
      }
      description={set ? 'Stored encrypted and never shown. Leave blank to keep it.' : 'Write-only: stored encrypted, never shown again.'}
      autoComplete="new-password"
      {...props}
    />
  );
}
