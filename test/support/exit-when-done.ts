/**
 * Preloaded (`--require`) by test/run.mjs into every test file's process. A file that leaves a
 * socket, timer or server open would otherwise never exit, and the whole run would hang. Node 20's
 * `--test-force-exit` is no fix: it also cuts off the runner's own report (the TAP summary lines).
 *
 * After the file's last test, later after-hooks get EXIT_GRACE_MS to clean up; if the process is
 * still alive then, it names the leak and exits with the code node:test has set.
 */
const EXIT_GRACE_MS = 5000;

// NODE_TEST_CONTEXT is set in the per-file child processes only, not in the runner itself.
if (process.env.NODE_TEST_CONTEXT) {
  // Required lazily: the runner process must not create a root test of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { after } = require('node:test') as typeof import('node:test');
  after(() => {
    setTimeout(() => {
      const file = process.argv[1] ?? 'a test file';
      process.stderr.write(`\n${file} still had open handles ${EXIT_GRACE_MS} ms after its last test; forcing exit (close what it opens)\n`);
      process.exit();
    }, EXIT_GRACE_MS).unref();
  });
}
