import type { AfterFetchAction, IncomingProtocol } from '../incoming/mail-source.port';
import type { OutgoingProtocol } from '../outgoing/mail-transport.port';

export type Side = 'incoming' | 'outgoing';
export const SIDES: readonly Side[] = ['incoming', 'outgoing'];

/** api.md: the state of one side of a mailbox. */
export type SideState = 'disabled' | 'authorizationRequired' | 'connecting' | 'connected' | 'authenticationError' | 'connectError';

export interface LastError {
  code: string;
  message: string;
  at: string;
}

export type ImportExisting = 'all' | 'none' | 'since';

/** Incoming settings as stored (secrets live in their own sealed column, never here). */
export interface IncomingSettings {
  protocol: IncomingProtocol;
  authType: 'password' | 'oauth2';
  host: string | null;
  port: number | null;
  connectUrl: string | null;
  username: string | null;
  oauth2App: string | null;
  folder: string;
  fetchIntervalMinutes: number;
  idle: boolean;
  afterFetch: AfterFetchAction;
  moveTo: string | null;
  debug: boolean;
  createRequests: boolean;
  importExisting: ImportExisting;
  importSince: string | null;
  fallbackCharset: string;
  loopLimit: { count: number; minutes: number };
  caCertificate: string | null;
  enabled: boolean;
}

export interface OutgoingSettings {
  protocol: OutgoingProtocol;
  authType: 'none' | 'password' | 'oauth2';
  host: string | null;
  alternateHost: string | null;
  port: number | null;
  tls: boolean;
  connectUrl: string | null;
  username: string | null;
  oauth2App: string | null;
  sameAsIncoming: boolean;
  senderName: string | null;
  senderAddress: string | null;
  replyTo: string | null;
  acknowledge: boolean;
  caCertificate: string | null;
  debug: boolean;
  enabled: boolean;
}
