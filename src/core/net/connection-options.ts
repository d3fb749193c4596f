/**
 * What every protocol adapter needs to reach a server, whatever the protocol: where, how
 * to trust its certificate, how to log in, and where to write the debug transcript.
 */
export interface ServerEndpoint {
  host: string;
  port: number;
  /** PEM certificate (or chain) trusted IN ADDITION to the system roots; host names are still verified. */
  caCertificate?: string | null;
}

export type Credentials =
  | { kind: 'none' }
  | { kind: 'password'; username: string; password: string }
  | {
      kind: 'oauth2';
      username: string;
      /** A valid access token; `forceRefresh` after the server refused the current one. */
      accessToken(options?: { forceRefresh?: boolean }): Promise<string>;
    };

/** Receives protocol transcript lines while a mailbox has `debug: true`; adapters redact AUTH payloads before calling it. */
export type TranscriptSink = (direction: 'client' | 'server', line: string) => void;

/** Deadlines for every network step, named so that logs and messages can cite them. */
export interface Deadlines {
  connectMs: number;
  commandMs: number;
  /** Per-message download deadline, on top of `commandMs`, per MiB of message size. */
  downloadMsPerMiB: number;
}

export const DEFAULT_DEADLINES: Deadlines = {
  connectMs: 15_000,
  commandMs: 30_000,
  downloadMsPerMiB: 10_000,
};

/** The deadlines an operator configured (DESKMAIL_CONNECT_TIMEOUT_MS / DESKMAIL_COMMAND_TIMEOUT_MS), for incoming and outgoing alike. */
export function configuredDeadlines(config: { connectTimeoutMs: number; commandTimeoutMs: number }): Deadlines {
  return { ...DEFAULT_DEADLINES, connectMs: config.connectTimeoutMs, commandMs: config.commandTimeoutMs };
}
