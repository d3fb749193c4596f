#!/usr/bin/env node
// `npm run screenshots` (after `npm run build`): regenerates docs/screenshots/*.png.
//
// The pictures come from the admin UI's end-to-end tests (test/e2e/admin-ui-*.test.ts), so they
// show the real service with real data: the test Dovecot, the test authorization server and
// the SMTP receivers that test/run.mjs starts. Each test saves its screens when
// DESKMAIL_SCREENSHOTS_DIR is set; without it they take no pictures. Needs what `npm test`
// needs (Dovecot, Chromium, PostgreSQL, root): see README.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'docs', 'screenshots');
mkdirSync(dir, { recursive: true });
// Start clean, so a screen that is no longer taken does not linger.
for (const name of readdirSync(dir).filter((n) => n.endsWith('.png'))) rmSync(join(dir, name));

const run = spawnSync(process.execPath, [join(root, 'test', 'run.mjs'), 'test/e2e/admin-ui-'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DESKMAIL_SCREENSHOTS_DIR: dir },
});
const taken = readdirSync(dir).filter((n) => n.endsWith('.png'));
console.log(`\n${taken.length} screenshot(s) in ${dir}`);
process.exit(run.status ?? 1);
