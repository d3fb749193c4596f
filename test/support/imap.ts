import { ImapFlow } from 'imapflow';

import { testEnv, type DovecotCoordinates } from './env';

export type OAuthMechanism = 'OAUTHBEARER' | 'XOAUTH2';

export interface ImapLogin {
  user: string;
  password?: string;
  accessToken?: string;
  /**
   * imapflow always picks OAUTHBEARER when the server advertises it; XOAUTH2 (what Gmail and
   * Outlook document) is forced by hiding AUTH=OAUTHBEARER from the client's capability list.
   */
  mechanism?: OAuthMechanism;
  /** Default true: IMAPS. false: plain IMAP port, upgraded with STARTTLS. */
  secure?: boolean;
  /** Certificate to trust; default the harness CA. */
  ca?: string;
  dovecot?: Pick<DovecotCoordinates, 'host' | 'imapPort' | 'imapsPort' | 'caCert'>;
}

/** An ImapFlow client for the test Dovecot, not yet connected. */
export function imapClient(login: ImapLogin): ImapFlow {
  const dovecot = login.dovecot ?? testEnv().dovecot;
  const secure = login.secure ?? true;
  const auth = login.accessToken ? { user: login.user, accessToken: login.accessToken } : { user: login.user, pass: login.password ?? '' };
  const client = new ImapFlow({
    host: dovecot.host,
    port: secure ? dovecot.imapsPort : dovecot.imapPort,
    secure,
    doSTARTTLS: secure ? undefined : true,
    tls: { ca: login.ca ?? dovecot.caCert },
    logger: false,
    auth,
    // Fail fast in tests instead of imapflow's 90 s / 5 min defaults.
    connectionTimeout: 10_000,
    greetingTimeout: 5_000,
    socketTimeout: 30_000,
  });
  if (login.mechanism === 'XOAUTH2') hideCapability(client, 'AUTH=OAUTHBEARER');
  // An ImapFlow without an 'error' listener crashes the test process on a dropped socket.
  client.on('error', () => undefined);
  return client;
}

/** Connects and logs in; the caller must `logout()` (or `close()`) it. */
export async function connectImap(login: ImapLogin): Promise<ImapFlow> {
  const client = imapClient(login);
  await client.connect();
  return client;
}

// imapflow replaces its `capabilities` Map on every CAPABILITY response, so filter on assignment.
function hideCapability(client: ImapFlow, capability: string): void {
  let current = client.capabilities;
  Object.defineProperty(client, 'capabilities', {
    configurable: true,
    get: () => current,
    set: (value: Map<string, boolean | number>) => {
      value.delete(capability);
      current = value;
    },
  });
}
