/**
 * The shapes of ../../shared/spec/api.md, the only interface the admin UI uses. Fields the
 * contract marks optional, or that a module adds, are optional here too, so the UI keeps
 * working while modules are still being built.
 */

export interface Page {
  total: number;
  page: number;
  pageSize: number;
}
export interface PageQuery {
  page?: number;
  pageSize?: number;
}

/** Nest's error shape; `code` for errors about a mail or OAuth server. */
export interface ErrorBody {
  statusCode: number;
  error?: string;
  message?: string | string[];
  code?: ErrorCode;
}

export type ErrorCode =
  | 'AUTHENTICATION_FAILED'
  | 'CONNECTION_FAILED'
  | 'TLS_ERROR'
  | 'TIMEOUT'
  | 'PROTOCOL_ERROR'
  | 'TOKEN_REQUEST_FAILED'
  | 'INVALID_GRANT'
  | 'AUTHORIZATION_REQUIRED';

// --- OAuth2 applications ---------------------------------------------------------------------
// The settings and preset shapes are the service's own types (type-only imports: nothing of
// the service is bundled), so the UI cannot drift from what the API sends.
export type { BaseScope, BaseScopePreset, ProviderName, ServerPreset, TokenEndpointAuthMethod } from '../../../oauth/providers/provider-presets';
import type { BaseScope, BaseScopePreset, ProviderName, TokenEndpointAuthMethod } from '../../../oauth/providers/provider-presets';

export interface ProviderPreset {
  provider: ProviderName;
  name: string;
  authorizeUrl: string | null;
  tokenUrl: string | null;
  authorities?: string[];
  defaultAuthority?: string;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  authorizeParams?: Record<string, string>;
  identityScopes?: string[];
  baseScopes: Partial<Record<BaseScope, BaseScopePreset>>;
  refreshToken?: { idleDays: number | null; maxAgeDays: number | null; note: string };
}

export interface OAuthApp {
  id: string;
  name: string;
  provider: ProviderName;
  clientId: string;
  clientSecretSet: boolean;
  clientSecretExpiresAt: string | null;
  clientSecretExpiring: boolean;
  redirectUrl: string;
  redirectUrlConfigured?: boolean;
  authority: string | null;
  baseScope: BaseScope;
  authorizeUrl: string;
  tokenUrl: string;
  scopes: string[];
  additionalScopes: string[];
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** The admin's explicit overrides (null: the preset's value). */
  overrides?: { authorizeUrl: string | null; tokenUrl: string | null; scopes: string[] | null; tokenEndpointAuthMethod: TokenEndpointAuthMethod | null };
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface OAuthAppInput {
  name?: string;
  provider?: ProviderName;
  clientId?: string;
  clientSecret?: string | null;
  redirectUrl?: string | null;
  authority?: string | null;
  baseScope?: BaseScope;
  authorizeUrl?: string | null;
  tokenUrl?: string | null;
  scopes?: string[] | null;
  additionalScopes?: string[];
  clientSecretExpiresAt?: string | null;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;
  enabled?: boolean;
}

// --- Mailboxes -------------------------------------------------------------------------------
export type { ImportExisting, IncomingSettings, LastError, OutgoingSettings, Side, SideState } from '../../../mailboxes/mailbox.types';
export type { IncomingProtocol, AfterFetchAction as AfterFetch } from '../../../incoming/mail-source.port';
export type { OutgoingProtocol } from '../../../outgoing/mail-transport.port';
import type { IncomingSettings, LastError, OutgoingSettings, Side, SideState } from '../../../mailboxes/mailbox.types';

export interface GrantSummary {
  user: string | null;
  scopes: string[];
  expires: string | null;
  lastRefreshAt: string | null;
  refreshTokenIssuedAt: string | null;
  nextRefreshAt: string | null;
  warning: string | string[] | null;
}

export interface Ledger {
  seen: number;
  requests: number;
  appended: number;
  duplicates: number;
  quarantined: number;
  ignored: number;
  unacknowledged: number;
}

interface SideStatus {
  passwordSet: boolean;
  state: SideState;
  lastError: LastError | null;
  oauth2?: GrantSummary | null;
}

export interface IncomingView extends IncomingSettings, SideStatus {
  lastFetchAt: string | null;
  nextFetchAt: string | null;
  ledger?: Ledger;
}
export interface OutgoingView extends OutgoingSettings, SideStatus {}

export interface Mailbox {
  id: string;
  name: string;
  emailAddresses: string[];
  incoming: IncomingView;
  outgoing: OutgoingView | null;
  createdAt: string;
  updatedAt: string;
}

type Writable<T> = { [K in keyof T]?: T[K] | null };
export type IncomingInput = Writable<IncomingSettings> & { password?: string | null };
export type OutgoingInput = Writable<OutgoingSettings> & { password?: string | null };
export interface MailboxInput {
  name?: string;
  emailAddresses?: string[];
  incoming?: IncomingInput;
  outgoing?: OutgoingInput | null;
}

export interface LogEntry {
  at: string;
  level: string;
  event: string;
  side?: Side | null;
  message: string;
}

export type { SampleMessage as SampleMailMessage } from '../../../incoming/sample-mail.types';
import type { SampleMessage as SampleMailMessage } from '../../../incoming/sample-mail.types';
export interface SampleDecision {
  outcome: 'new request' | 'append' | 'ignored' | 'quarantine';
  request: number | null;
  rule?: string | null;
  autoReply?: boolean;
  reason?: string | null;
  requester?: { name: string | null; email: string } | null;
  acknowledge?: boolean;
}
export interface SampleMailResult {
  found: boolean;
  message?: SampleMailMessage;
  decision?: SampleDecision;
}

export interface FetchSummary {
  fetched: number;
  created: number;
  appended: number;
  skipped: number;
  quarantined: number;
}

export interface TestMailResult {
  messageId: string;
  server: 'primary' | 'alternate';
  response: string;
}

// --- Requests, quarantine, outbox ------------------------------------------------------------
export interface Person {
  name: string | null;
  email: string;
}
export type RequestStatus = 'open' | 'closed';

export interface RequestSummary {
  id: string;
  number: number;
  subject: string;
  status: RequestStatus;
  mailbox: string;
  requester: Person;
  createdAt: string;
  updatedAt: string;
}

export interface Attachment {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
}

/** An address as the API renders it: a string, or `{ name, email }`. */
export type Address = string | Person;

export interface RequestMessage {
  id: string;
  direction: 'in' | 'out';
  from: Address | null;
  to: Address | Address[] | null;
  cc: Address | Address[] | null;
  subject: string;
  messageId: string | null;
  date: string | null;
  text: string;
  html: string | null;
  attachments: Attachment[];
}

export interface RequestDetail extends RequestSummary {
  messages: RequestMessage[];
}

export interface RequestQuery extends PageQuery {
  mailbox?: string;
  status?: RequestStatus;
  q?: string;
}

export interface QuarantinedMail {
  id: string;
  reason: string;
  mailbox: string;
  receivedAt: string;
  size: number;
  subject?: string | null;
  from?: string | null;
  detail?: string | null;
  retries?: number;
}

export interface RetryResult {
  outcome: 'request' | 'appended' | 'duplicate' | 'quarantined';
  request: { id: string; number: number } | null;
  reason: string | null;
  detail: string | null;
  quarantine: string | null;
}

export type OutboxStatus = 'queued' | 'sent' | 'failed';
export interface OutboxMessage {
  id: string;
  status: OutboxStatus;
  mailbox?: string;
  request?: string | null;
  to?: Address | Address[] | null;
  subject?: string | null;
  attempts: number;
  lastError: LastError | string | null;
  server: 'primary' | 'alternate' | null;
  createdAt?: string;
  sentAt?: string | null;
  nextAttemptAt?: string | null;
}
