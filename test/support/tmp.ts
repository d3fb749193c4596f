import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort, freePorts } from './ports';

/**
 * A fresh directory under the OS temp dir, e.g. /tmp/deskmail-test-Ab12Cd. World-traversable
 * (0755, not mkdtemp's 0700): Dovecot's auth and mail processes run as dovecot/nobody and must
 * reach the users and mail directories inside.
 */
export function makeTempDir(prefix = 'deskmail-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Removes a directory tree; never throws (cleanup must not hide the real test failure). */
export function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}

/** A short random id, unique enough to name test users, folders and databases. */
export function uniqueId(prefix = ''): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
