import { Center, Loader } from '@mantine/core';

export function Loading({ label }: { label: string }) {
  return (
    <Center py="xl" aria-busy="true">
      <Loader aria-label={label} />
    </Center>
  );
}
