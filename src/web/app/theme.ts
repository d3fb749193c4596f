import { createTheme } from '@mantine/core';

/** System fonts only: nothing is fetched at run time. */
export const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  headings: { fontWeight: '650' },
  // Focus rings for keyboard users (not on mouse clicks), on every control.
  focusRing: 'auto',
});
