import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key pair on disk and in memory (PEM). `cert` doubles as the CA to trust: it is self-signed. */
export interface TestCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

/**
 * A self-signed certificate for CN=localhost with SAN DNS:localhost and IP:127.0.0.1, so clients
 * can verify it when connecting to 127.0.0.1 with only `ca: cert` (no servername override needed).
 */
export async function createSelfSignedCert(dir: string, name = 'server'): Promise<TestCert> {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${name}.cert.pem`);
  const keyPath = join(dir, `${name}.key.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
    '-subj', `/CN=localhost/O=deskmail test ${name}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyPath, '-out', certPath,
  ]);
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, keyPath };
}

/**
 * The certificates of a test run: `trusted` is served by Dovecot and the SMTP receivers and is the
 * CA tests trust; `untrusted` is a different self-signed cert with the same names, for checking
 * that a server presenting a certificate nobody trusts is refused.
 */
export async function createTestCerts(dir: string): Promise<{ trusted: TestCert; untrusted: TestCert }> {
  const [trusted, untrusted] = await Promise.all([
    createSelfSignedCert(dir, 'trusted'),
    createSelfSignedCert(dir, 'untrusted'),
  ]);
  return { trusted, untrusted };
}
