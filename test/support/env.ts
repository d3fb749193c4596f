import { readFileSync } from 'node:fs';

import type { TestCert } from './certs';

/** Where the shared Dovecot listens and how to administer it (doveadm needs the same config). */
export interface DovecotCoordinates {
  host: string;
  imapPort: number;
  imapsPort: number;
  pop3Port: number;
  pop3sPort: number;
  /** PEM of the self-signed server certificate; pass as `ca` to trust it. */
  caCert: string;
  configPath: string;
  /** One passwd-file per user (`<email>` → `<email>:{PLAIN}<password>`). */
  usersDir: string;
  mailDir: string;
  logPath: string;
}

export interface PublicClient {
  id: string;
}
export interface ConfidentialClient {
  id: string;
  secret: string;
}

/** The test authorization server (oidc-provider in a child process). */
export interface AuthCoordinates {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  introspectionUrl: string;
  revocationUrl: string;
  registrationUrl: string;
  /** GET → `{ token: { [clientId]: { requests, errors, byGrantType } } }`. */
  statsUrl: string;
  statsResetUrl: string;
  faultsUrl: string;
  /** Loopback redirect URIs of the static clients; the port is ignored (RFC 8252 §7.3). */
  redirectUris: string[];
  /** Access-token lifetime (s) of `clients.nativeShort`. */
  shortAccessTokenTtl: number;
  clients: {
    /** Public native client, PKCE, 1 h access tokens. */
    native: PublicClient;
    /** Public native client whose access tokens expire after `shortAccessTokenTtl` seconds. */
    nativeShort: PublicClient;
    confidentialPost: ConfidentialClient;
    confidentialBasic: ConfidentialClient;
    /** Used by resource servers (Dovecot, SMTP receivers) to call introspection. */
    introspector: ConfidentialClient;
  };
}

/** The shared SMTP receivers: PLAIN/LOGIN against the Dovecot users, XOAUTH2 via introspection. */
export interface SmtpCoordinates {
  host: string;
  starttlsPort: number;
  tlsPort: number;
  caCert: string;
  /** Every accepted mail lands here as `<n>.json`; read with `readReceived(dir)`. */
  receivedDir: string;
}

export interface TestEnv {
  runId: string;
  tmpDir: string;
  /** The CA (= self-signed server cert) of every TLS listener in the harness. */
  caCert: string;
  trustedCert: TestCert;
  /** A different self-signed cert for localhost that nothing trusts. */
  untrustedCert: TestCert;
  dovecot: DovecotCoordinates;
  auth: AuthCoordinates;
  smtp: SmtpCoordinates;
  pg: { adminUrl: string };
}

export const TEST_ENV_VARIABLE = 'DESKMAIL_TEST_ENV';

let cached: TestEnv | undefined;

/** The shared servers of this test run, written by test/run.mjs before it starts the tests. */
export function testEnv(): TestEnv {
  if (cached) return cached;
  const path = process.env[TEST_ENV_VARIABLE];
  if (!path) {
    throw new Error(
      `${TEST_ENV_VARIABLE} is not set: integration tests need the shared test servers. ` +
        'Run them through `npm test` (or `npm test -- <file or substring>` for a subset).',
    );
  }
  cached = JSON.parse(readFileSync(path, 'utf8')) as TestEnv;
  return cached;
}
