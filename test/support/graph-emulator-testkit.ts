import type { Credentials, Deadlines } from '../../src/core/net/connection-options';
import type { FetchedMail } from '../../src/incoming/mail-source.port';
import { testEnv } from './env';
import { buildTestMail } from './mail';
import { obtainTokens, registerClient } from './oauth-client';
import { uniqueId } from './tmp';

/**
 * Helpers shared by the EWS and Graph adapter tests: accounts with real tokens from the test
 * authorization server (the emulators introspect them), and small mail helpers.
 */
export const TEST_DEADLINES: Deadlines = { connectMs: 5_000, commandMs: 10_000, downloadMsPerMiB: 5_000 };

export interface OAuthAccount {
  address: string;
  credentials: Credentials & { kind: 'oauth2' };
  /** The `forceRefresh` flag of every accessToken() call, in order. */
  calls: Array<boolean | undefined>;
  accessToken: string;
  refreshToken?: string;
}

/**
 * An account whose accessToken() always answers the same token (also on forceRefresh), so a
 * revoked token stays revoked: what a broken grant looks like to an adapter.
 */
export async function oauthAccount(prefix: string): Promise<OAuthAccount> {
  const address = `${uniqueId(prefix)}@example.test`;
  const tokens = await obtainTokens({ clientId: testEnv().auth.clients.native.id, username: address });
  const calls: Array<boolean | undefined> = [];
  return {
    address,
    calls,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    credentials: { kind: 'oauth2', username: address, accessToken: async (options) => (calls.push(options?.forceRefresh), tokens.access_token) },
  };
}

/**
 * An account whose access token has expired by the time it is used (a client registered with
 * 1 s tokens); accessToken({ forceRefresh: true }) answers a new, valid token for the same
 * account. (It comes from a client with 1 h tokens: a refresh at the 1 s client would give a
 * token that may expire again before a loaded machine uses it. The token service's own
 * refresh is covered by the service tests.)
 */
export async function expiredTokenAccount(prefix: string): Promise<OAuthAccount> {
  const address = `${uniqueId(prefix)}@example.test`;
  const client = await registerClient({ token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: [testEnv().auth.redirectUris[0]], x_access_token_ttl: 1 });
  const tokens = await obtainTokens({ clientId: client.client_id, username: address, redirectUri: testEnv().auth.redirectUris[0] });
  await new Promise((resolve) => setTimeout(resolve, 1_600));
  const calls: Array<boolean | undefined> = [];
  let current = tokens.access_token;
  return {
    address,
    calls,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    credentials: {
      kind: 'oauth2',
      username: address,
      accessToken: async (options) => {
        calls.push(options?.forceRefresh);
        if (options?.forceRefresh) current = (await obtainTokens({ clientId: testEnv().auth.clients.native.id, username: address })).access_token;
        return current;
      },
    },
  };
}

export function numberedMail(n: number, extra: { to?: string } = {}): { raw: string; messageId: string } {
  return buildTestMail({ subject: `mail ${n}`, to: extra.to, body: `Body of mail ${n}.\r\n.a line that starts with a dot` });
}

export async function collect(iterable: AsyncIterable<FetchedMail>): Promise<FetchedMail[]> {
  const result: FetchedMail[] = [];
  for await (const mail of iterable) result.push(mail);
  return result;
}

/** Our outgoing headers, as the outbox writes them: these must arrive unchanged. */
export function replyMime(from: string, to: string): { raw: Buffer; messageId: string } {
  const messageId = `<${uniqueId('reply-')}@deskmail.test>`;
  const raw = [
    `From: "Example Support" <${from}>`,
    `To: ${to}`,
    `Reply-To: ${from}`,
    'Subject: [##42##] Re: printer on fire',
    `Message-ID: ${messageId}`,
    'In-Reply-To: <original-1@customer.test>',
    'References: <original-0@customer.test> <original-1@customer.test>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'We are on it.',
    '',
  ].join('\r\n');
  return { raw: Buffer.from(raw), messageId };
}
