import type { ApiClient } from './service';
import { testEnv } from './env';

export type TestProtocol = 'imap' | 'imaps' | 'pop' | 'pops';

/** Port of the shared test Dovecot for a protocol. */
export function dovecotPort(protocol: TestProtocol): number {
  const d = testEnv().dovecot;
  return { imap: d.imapPort, imaps: d.imapsPort, pop: d.pop3Port, pops: d.pop3sPort }[protocol];
}

export interface MailboxOptions {
  protocol?: TestProtocol;
  user: string;
  password?: string;
  incoming?: Record<string, unknown>;
  outgoing?: Record<string, unknown> | null;
  name?: string;
}

/** Creates a mailbox on the test Dovecot through the API; fails the test with the API's message. */
export async function createDovecotMailbox(api: ApiClient, options: MailboxOptions): Promise<any> {
  const protocol = options.protocol ?? 'imaps';
  const body: Record<string, unknown> = {
    name: options.name ?? `Support ${options.user}`,
    emailAddresses: [options.user],
    incoming: {
      protocol,
      authType: 'password',
      host: '127.0.0.1',
      port: dovecotPort(protocol),
      username: options.user,
      password: options.password,
      caCertificate: testEnv().caCert,
      importExisting: 'all',
      ...options.incoming,
    },
  };
  if (options.outgoing) body.outgoing = options.outgoing;
  const response = await api.post('/v1/mailboxes', body);
  if (response.status !== 201) throw new Error(`creating the mailbox failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
