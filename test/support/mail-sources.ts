import type { Server } from 'node:net';
import type { Credentials } from '../../src/core/net/connection-options';
import { DEFAULT_DEADLINES } from '../../src/core/net/connection-options';
import { createMailSource } from '../../src/incoming/adapters/source.registry';
import type { MailSource, MailSourceOptions } from '../../src/incoming/mail-source.port';
import { createMailUser } from './dovecot';
import { testEnv } from './env';
import { oauthAccount } from './graph-emulator-testkit';
import { dovecotPort, type TestProtocol } from './mailboxes';

/**
 * Helpers shared by the IMAP and POP3 adapter tests against the test Dovecot: source options,
 * connected sources closed after the file, accounts with a password or a real OAuth2 token.
 */
const opened: MailSource[] = [];

/** For `after()`: closes every source connectedSource() opened in this test file. */
export async function closeOpenedSources(): Promise<void> {
  await Promise.all(opened.splice(0).map((source) => source.close()));
}

export async function connectedSource(options: MailSourceOptions): Promise<MailSource> {
  const source = createMailSource(options);
  opened.push(source);
  await source.connect();
  return source;
}

export function dovecotSourceOptions(protocol: TestProtocol, credentials: Credentials, extra: Partial<MailSourceOptions> = {}): MailSourceOptions {
  return {
    protocol,
    endpoint: { host: testEnv().dovecot.host, port: dovecotPort(protocol), caCertificate: testEnv().caCert },
    credentials,
    folder: 'INBOX',
    deadlines: DEFAULT_DEADLINES,
    ...extra,
  };
}

export async function dovecotPasswordUser(prefix: string): Promise<{ user: string; credentials: Credentials; password: string }> {
  const { email, password } = await createMailUser(prefix);
  return { user: email, password, credentials: { kind: 'password', username: email, password } };
}

/** A Dovecot user known only by its OAuth2 token (Dovecot checks it by introspection); `calls` records forceRefresh. */
export async function dovecotOAuthUser(prefix: string): Promise<{ user: string; credentials: Credentials; token: string; calls: Array<boolean | undefined> }> {
  const account = await oauthAccount(prefix);
  return { user: account.address, credentials: account.credentials, token: account.accessToken, calls: account.calls };
}

/** A server on a free loopback port (a silent one, an untrusted TLS one…). */
export function listenOnLoopback(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
