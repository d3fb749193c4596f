import { ImapFlow, type AuthOptions, type ImapFlowOptions, type Logger, type LogLevel } from 'imapflow';
import type { MailSourceOptions } from '../../mail-source.port';
import { tlsOptionsFor } from '../tls-options';
import type { TranscriptRedactor } from '../transcript-redactor';

/** imapflow log entries that are protocol lines: `src` 'c' (client) or 's' (server), the line in `msg`. */
interface ImapFlowLogEntry {
  src?: string;
  msg?: unknown;
  err?: unknown;
}

/** imapflow's Logger, with the level check it asks a pino-like logger for (its type leaves it out). */
export type LevelAwareLogger = Logger & { isLevelEnabled(level: LogLevel): boolean };

/**
 * The logger we give imapflow. Its debug/trace entries with `src` are the protocol lines,
 * already compiled with imapflow's own masking (sensitive values → "(* value hidden *)",
 * literals → "(* 154B literal *)"); the redactor masks AUTH payloads on top of that.
 * `onCommandError` receives the errors imapflow logs instead of throwing (messageMove and
 * friends answer `false` and only log why), so the source can tell the admin why.
 * `isLevelEnabled` tells imapflow which levels are wanted: without it imapflow counts every
 * level we have a method for as on and serialises each command and response, every FETCH
 * with its literal, into a log line we would drop (about a tenth of a fetch's main-thread
 * allocations).
 */
export function imapFlowLogger(redactor: TranscriptRedactor, onCommandError: (err: unknown) => void): LevelAwareLogger {
  const line = (entry: ImapFlowLogEntry) => {
    if (!entry || typeof entry.msg !== 'string') return;
    if (entry.src === 'c') redactor.client(entry.msg);
    else if (entry.src === 's') redactor.server(entry.msg);
  };
  const problem = (entry: ImapFlowLogEntry) => {
    if (entry && entry.err) onCommandError(entry.err);
  };
  return {
    isLevelEnabled: (level) => (level === 'trace' || level === 'debug' ? redactor.enabled : level !== 'info'),
    trace: redactor.enabled ? line : () => undefined,
    debug: redactor.enabled ? line : () => undefined,
    info: () => undefined,
    warn: problem,
    error: problem,
    fatal: problem,
  };
}

export async function imapAuth(options: MailSourceOptions): Promise<{ auth?: AuthOptions; secret?: string }> {
  const credentials = options.credentials;
  switch (credentials.kind) {
    case 'password':
      return { auth: { user: credentials.username, pass: credentials.password }, secret: credentials.password };
    case 'oauth2': {
      // imapflow uses OAUTHBEARER (RFC 7628) when advertised, XOAUTH2 otherwise.
      const accessToken = await credentials.accessToken();
      return { auth: { user: credentials.username, accessToken }, secret: accessToken };
    }
    case 'none':
      return {};
  }
}

/**
 * One ImapFlow per connection (imapflow refuses to be reused). `imaps` is TLS from the
 * first byte; `imap` upgrades with STARTTLS (RFC 3501 §6.2.1) and, when credentials are
 * sent, refuses to go on without it: api.md "No password or token ever crosses an
 * unencrypted connection", and a STARTTLS-less capability list may have been stripped by
 * a man in the middle.
 */
export function createImapClient(options: MailSourceOptions, auth: AuthOptions | undefined, logger: Logger): ImapFlow {
  const { endpoint, deadlines } = options;
  const flowOptions: ImapFlowOptions = {
    host: endpoint.host,
    port: endpoint.port,
    secure: options.protocol === 'imaps',
    tls: tlsOptionsFor(endpoint),
    auth,
    logger,
    // No IDLE between our commands: the fetch runner drives the session, and an IDLE the
    // next command has to break costs two round trips each time.
    disableAutoIdle: true,
    connectionTimeout: deadlines.connectMs,
    greetingTimeout: deadlines.connectMs,
    // Inactivity while a command is in flight; while we hold the folder lock and are quiet
    // imapflow sends a NOOP instead of failing.
    socketTimeout: deadlines.commandMs,
    maxLockHoldTime: false,
    // RFC 2971 ID: name ourselves, not imapflow's vendor and version.
    clientInfo: { name: 'deskmail', version: false, vendor: false, 'support-url': false },
  };
  if (options.protocol === 'imap' && auth) flowOptions.doSTARTTLS = true;
  if (flowOptions.tls?.servername) flowOptions.servername = flowOptions.tls.servername;
  return new ImapFlow(flowOptions);
}
