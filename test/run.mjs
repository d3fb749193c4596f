#!/usr/bin/env node
// Test runner for `npm test` (runs after `npm run build`).
//
//   npm test                                   every dist/src/**/*.spec.js and dist/test/**/*.test.js
//   npm test -- dist/test/integration/x.test.js  only these files (.ts sources are mapped to dist)
//   npm test -- harness imap                    files whose path contains one of the words
//   npm test -- --test-name-pattern=UIDVALIDITY  --flags are passed on to `node --test`
//
// It checks the prerequisites, starts the shared servers ONCE (authorization server, Dovecot, SMTP
// receivers: test/support/harness.ts), runs the tests in child processes with DESKMAIL_TEST_ENV
// pointing at their coordinates, always stops the servers, and exits with the runner's code.
// Output: the spec reporter on stdout, then the TAP summary (`# pass N`, `# fail N`) that CI
// parses; the full TAP report is kept in dist/test-report/report.tap.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const dist = join(root, 'dist');
const RUN_DIR_PREFIX = 'deskmail-run-';
// Node 20 applies --test-timeout to each test FILE as well as each test: long enough for the
// crash and multi-process files on a busy 2-core machine, short enough that a hang ends the run.
const TEST_TIMEOUT_MS = Number(process.env.DESKMAIL_TEST_TIMEOUT_MS ?? 240_000);
const CONCURRENCY = Number(process.env.DESKMAIL_TEST_CONCURRENCY ?? 2);

const fail = (message) => {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
};

// --- prerequisites ---------------------------------------------------------------------------
function onPath(binary) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat('/usr/sbin', '/sbin');
  return dirs.some((dir) => existsSync(join(dir, binary)));
}

async function checkPrerequisites() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old: install Node >= 20.19.`);
  if (!onPath('dovecot') || !onPath('doveadm')) fail('Dovecot is missing: apt-get install dovecot-core dovecot-imapd dovecot-pop3d');
  if (!onPath('openssl')) fail('openssl is missing (it makes the test certificates): apt-get install openssl');
  if (process.getuid?.() !== 0) fail('The test Dovecot must be started as root (it drops to nobody for mail): run the tests as root.');
  if (!existsSync(join(root, 'node_modules', 'oidc-provider'))) fail('node_modules is incomplete: run npm ci');
  if (!['harness.js', 'exit-when-done.js'].every((f) => existsSync(join(dist, 'test', 'support', f)))) fail('dist/ is missing the test harness: run npm run build (npm test does it for you).');
  const { pgAvailable } = await importDist('test/support/postgres.js');
  const pg = await pgAvailable();
  if (!pg.ok) fail(pg.message);
}

const importDist = (path) => import(pathToFileURL(join(dist, path)).href);

// --- leftovers of runs that were killed before they could clean up -----------------------------
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

function cleanStaleRuns() {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(RUN_DIR_PREFIX))) {
    const dir = join(tmpdir(), name);
    const runner = Number(readFileSafe(join(dir, 'runner.pid')));
    if (runner ? isAlive(runner) : Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue; // may be starting
    // Only a Dovecot whose command line names this run's own config is ours to stop.
    const dovecot = Number(readFileSafe(join(dir, 'dovecot', 'run', 'master.pid')));
    if (dovecot && isAlive(dovecot) && readFileSafe(`/proc/${dovecot}/cmdline`).includes(dir)) process.kill(dovecot, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function readFileSafe(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// --- test files ------------------------------------------------------------------------------
function findFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findFiles(path, suffix);
    return entry.name.endsWith(suffix) ? [path] : [];
  });
}

/** Compiled tests whose .ts source still exists (tsc never deletes outputs of removed files). */
function discoverTestFiles() {
  return [...findFiles(join(dist, 'src'), '.spec.js'), ...findFiles(join(dist, 'test'), '.test.js')]
    .filter((file) => existsSync(join(root, relative(dist, file)).replace(/\.js$/, '.ts')))
    .sort();
}

function selectTestFiles(args) {
  const all = discoverTestFiles();
  const selectors = args.filter((arg) => !arg.startsWith('--'));
  if (selectors.length === 0) return all;
  return selectors.flatMap((selector) => {
    let path = resolve(selector);
    // A source path (src/x.spec.ts, test/y.test.ts) means its compiled file.
    if (path.endsWith('.ts') && !path.startsWith(dist + sep)) path = join(dist, relative(root, path)).replace(/\.ts$/, '.js');
    if (existsSync(path) && path.endsWith('.js')) return [path];
    const matches = all.filter((file) => relative(root, file).includes(selector));
    if (matches.length === 0) fail(`no test file matches "${selector}"`);
    return matches;
  });
}

// --- run ---------------------------------------------------------------------------------------
function runTests(files, extraArgs, childEnv, tapPath) {
  const args = [
    '--require', join(dist, 'test', 'support', 'exit-when-done.js'),
    '--test',
    `--test-concurrency=${CONCURRENCY}`,
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapPath}`,
    ...extraArgs,
    ...files,
  ];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: childEnv, cwd: root });
  return { child, done: new Promise((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)))) };
}

/** The runner's own TAP summary lines (`# tests`, `# pass`, `# fail`, ...), which CI parses. */
function tapSummary(tapPath) {
  const lines = readFileSafe(tapPath).split('\n');
  return lines.filter((line) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(line)).join('\n');
}

async function main() {
  // With output piped into e.g. `head`, a write error must not kill us before the servers stop.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const args = process.argv.slice(2);
  await checkPrerequisites();
  cleanStaleRuns();
  const files = selectTestFiles(args);
  if (files.length === 0) fail('no test files found under dist/ (did the build run?)');

  const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  chmodSync(dir, 0o755); // Dovecot's unprivileged processes must traverse it
  writeFileSync(join(dir, 'runner.pid'), String(process.pid));
  const runId = dir.slice(dir.lastIndexOf(RUN_DIR_PREFIX) + RUN_DIR_PREFIX.length);

  const { startTestEnvironment } = await importDist('test/support/harness.js');
  const { dropRunDatabases } = await importDist('test/support/postgres.js');
  const started = Date.now();
  let testRun;
  let stopping;
  // Kept as a promise so a Ctrl-C during start-up still stops whatever did start.
  const starting = startTestEnvironment(dir, runId);
  const shutdown = (code) => {
    stopping ??= (async () => {
      testRun?.child.kill('SIGTERM');
      const environment = await starting.catch(() => undefined);
      await environment?.stop();
      await dropRunDatabases(runId).catch((error) => console.error(`could not drop the test databases: ${error.message}`));
      if (code === 0 && !process.env.DESKMAIL_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
      else console.error(`logs kept in ${dir} (dovecot/dovecot.log, auth-server.log)`);
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGTERM', () => shutdown(143));

  let environment;
  try {
    environment = await starting;
  } catch (error) {
    console.error(`✖ could not start the test servers: ${error.stack ?? error}`);
    return shutdown(1);
  }
  const steps = Object.entries(environment.timings).map(([step, ms]) => `${step} ${ms} ms`).join(', ');
  console.log(`test servers ready in ${Date.now() - started} ms (${steps}); ${files.length} test file(s)`);

  // Written in the run's own directory (parallel runs in one checkout), then copied to dist/.
  const tapPath = join(dir, 'report.tap');
  const childEnv = { ...process.env, DESKMAIL_TEST_ENV: environment.envPath, DESKMAIL_TEST_RUN_ID: runId, TEST_PG_URL: environment.env.pg.adminUrl };
  testRun = runTests(files, args.filter((arg) => arg.startsWith('--')), childEnv, tapPath);
  const code = await testRun.done;
  testRun = undefined;
  console.log(`\n${tapSummary(tapPath)}`);
  mkdirSync(join(dist, 'test-report'), { recursive: true });
  if (existsSync(tapPath)) copyFileSync(tapPath, join(dist, 'test-report', 'report.tap'));
  return shutdown(code);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
