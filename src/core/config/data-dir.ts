import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Files the service keeps in `DATA_DIR` when the environment does not supply a value:
 * the secret-box key and the admin API token. Created once, mode 0600, never rewritten.
 */
export function ensureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Reads `name` from the data dir, or creates it with `generate()` (mode 0600). `created` says which. */
export function readOrCreateSecretFile(dataDir: string, name: string, generate: () => string): { value: string; file: string; created: boolean } {
  const file = path.join(dataDir, name);
  try {
    // 'wx' fails if the file exists, so two processes starting at once cannot overwrite each other's key.
    const value = generate();
    fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return { value, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const value = fs.readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`${file} is empty; delete it to generate a new one`);
  return { value, file, created: false };
}

export const randomToken = (): string => crypto.randomBytes(32).toString('base64url');
