import type {
  AfterFetch,
  ImportExisting,
  IncomingProtocol,
  Mailbox,
  OAuthApp,
  OutgoingProtocol,
  ProviderPreset,
  ServerPreset,
} from '../api/types';
import { toDateInput } from '../components/format';

/**
 * The mailbox settings form, kept in the API's field names (`incoming.port`) so a 400's
 * messages land beside their fields, plus the pure rules that make fields follow the protocol
 * and auth type the admin picks.
 */
export interface IncomingForm {
  protocol: IncomingProtocol;
  authType: 'password' | 'oauth2';
  host: string;
  port: number | '';
  connectUrl: string;
  username: string;
  password: string;
  oauth2App: string | null;
  folder: string;
  fetchIntervalMinutes: number | '';
  idle: boolean;
  afterFetch: AfterFetch;
  moveTo: string;
  debug: boolean;
  createRequests: boolean;
  importExisting: ImportExisting;
  importSince: string;
  fallbackCharset: string;
  loopLimit: { count: number | ''; minutes: number | '' };
  caCertificate: string;
  enabled: boolean;
}

export interface OutgoingForm {
  protocol: OutgoingProtocol;
  authType: 'none' | 'password' | 'oauth2';
  host: string;
  alternateHost: string;
  port: number | '';
  tls: boolean;
  connectUrl: string;
  username: string;
  password: string;
  oauth2App: string | null;
  sameAsIncoming: boolean;
  senderName: string;
  senderAddress: string;
  replyTo: string;
  acknowledge: boolean;
  caCertificate: string;
  debug: boolean;
  enabled: boolean;
}

export interface MailboxFormValues {
  name: string;
  emailAddresses: string[];
  incoming: IncomingForm;
  /** UI only: whether the mailbox sends mail (outgoing is optional in the contract). */
  hasOutgoing: boolean;
  outgoing: OutgoingForm;
}

export const DEFAULT_PORTS: Record<string, number> = { imap: 143, imaps: 993, pop: 110, pops: 995, smtp: 587, smtps: 465 };

export const INCOMING_PROTOCOLS: Array<{ value: IncomingProtocol; label: string }> = [
  { value: 'pop', label: 'POP' },
  { value: 'imap', label: 'IMAP' },
  { value: 'pops', label: 'POPS (POP over SSL/TLS)' },
  { value: 'imaps', label: 'IMAPS (IMAP over SSL/TLS)' },
  { value: 'ews', label: 'Exchange Web Services (EWS)' },
  { value: 'graph', label: 'Microsoft Graph' },
];

export const OUTGOING_PROTOCOLS: Array<{ value: OutgoingProtocol; label: string }> = [
  { value: 'smtp', label: 'SMTP (port 587, STARTTLS)' },
  { value: 'smtps', label: 'SMTPS (SMTP over SSL/TLS)' },
  { value: 'ews', label: 'Exchange Web Services (EWS)' },
  { value: 'graph', label: 'Microsoft Graph' },
];

const AFTER_FETCH: Record<IncomingProtocol, AfterFetch[]> = {
  imap: ['markSeen', 'move', 'delete'],
  imaps: ['markSeen', 'move', 'delete'],
  pop: ['delete', 'keep'],
  pops: ['delete', 'keep'],
  ews: ['markRead', 'move', 'delete'],
  graph: ['markRead', 'move', 'delete'],
};

export const AFTER_FETCH_LABELS: Record<AfterFetch, string> = {
  markSeen: 'Mark as read (\\Seen)',
  markRead: 'Mark as read',
  move: 'Move to a folder',
  delete: 'Delete from the server',
  keep: 'Keep on the server',
};

export const isImap = (p: string) => p === 'imap' || p === 'imaps';
export const isPop = (p: string) => p === 'pop' || p === 'pops';
export const usesHost = (p: string) => isImap(p) || isPop(p) || p === 'smtp' || p === 'smtps';
export const usesConnectUrl = (p: string) => p === 'ews' || p === 'graph';

export const afterFetchOptions = (protocol: IncomingProtocol) => AFTER_FETCH[protocol];

export function emptyMailboxForm(): MailboxFormValues {
  return {
    name: '',
    emailAddresses: [],
    incoming: {
      protocol: 'imaps',
      authType: 'password',
      host: '',
      port: 993,
      connectUrl: '',
      username: '',
      password: '',
      oauth2App: null,
      folder: 'INBOX',
      fetchIntervalMinutes: 5,
      idle: false,
      afterFetch: 'markSeen',
      moveTo: '',
      debug: false,
      createRequests: true,
      importExisting: 'since',
      importSince: toDateInput(new Date(Date.now() - 7 * 86_400_000).toISOString()),
      fallbackCharset: 'windows-1252',
      loopLimit: { count: 5, minutes: 60 },
      caCertificate: '',
      enabled: true,
    },
    hasOutgoing: true,
    outgoing: {
      protocol: 'smtp',
      authType: 'password',
      host: '',
      alternateHost: '',
      port: 587,
      tls: true,
      connectUrl: '',
      username: '',
      password: '',
      oauth2App: null,
      sameAsIncoming: false,
      senderName: '',
      senderAddress: '',
      replyTo: '',
      acknowledge: true,
      caCertificate: '',
      debug: false,
      enabled: true,
    },
  };
}

export function mailboxToForm(mailbox: Mailbox): MailboxFormValues {
  const empty = emptyMailboxForm();
  const i = mailbox.incoming;
  const o = mailbox.outgoing;
  return {
    name: mailbox.name,
    emailAddresses: mailbox.emailAddresses,
    incoming: {
      protocol: i.protocol,
      authType: i.authType,
      host: i.host ?? '',
      port: i.port ?? '',
      connectUrl: i.connectUrl ?? '',
      username: i.username ?? '',
      password: '',
      oauth2App: i.oauth2App,
      folder: i.folder,
      fetchIntervalMinutes: i.fetchIntervalMinutes,
      idle: i.idle,
      afterFetch: i.afterFetch,
      moveTo: i.moveTo ?? '',
      debug: i.debug,
      createRequests: i.createRequests,
      importExisting: i.importExisting,
      importSince: toDateInput(i.importSince),
      fallbackCharset: i.fallbackCharset,
      loopLimit: i.loopLimit,
      caCertificate: i.caCertificate ?? '',
      enabled: i.enabled,
    },
    hasOutgoing: Boolean(o),
    outgoing: o
      ? {
          protocol: o.protocol,
          authType: o.authType,
          host: o.host ?? '',
          alternateHost: o.alternateHost ?? '',
          port: o.port ?? '',
          tls: o.tls,
          connectUrl: o.connectUrl ?? '',
          username: o.username ?? '',
          password: '',
          oauth2App: o.oauth2App,
          sameAsIncoming: o.sameAsIncoming,
          senderName: o.senderName ?? '',
          senderAddress: o.senderAddress ?? '',
          replyTo: o.replyTo ?? '',
          acknowledge: o.acknowledge,
          caCertificate: o.caCertificate ?? '',
          debug: o.debug ?? false,
          enabled: o.enabled ?? true,
        }
      : empty.outgoing,
  };
}

/** A port still at the old protocol's default follows the protocol; a port the admin typed stays. */
function followPort(port: number | '', from: string, to: string): number | '' {
  if (!usesHost(to)) return '';
  return port === '' || port === DEFAULT_PORTS[from] ? DEFAULT_PORTS[to] : port;
}

export function withIncomingProtocol(side: IncomingForm, protocol: IncomingProtocol): IncomingForm {
  const afterFetch = AFTER_FETCH[protocol].includes(side.afterFetch) ? side.afterFetch : AFTER_FETCH[protocol][0];
  // OAuth2 never crosses an unencrypted connection, and Graph has no password login.
  const authType = protocol === 'graph' ? 'oauth2' : side.authType;
  return { ...side, protocol, port: followPort(side.port, side.protocol, protocol), afterFetch, idle: isImap(protocol) && side.idle, authType };
}

/** Choosing OAuth2 on plain IMAP/POP moves to IMAPS/POPS (the contract allows nothing else). */
export function withIncomingAuth(side: IncomingForm, authType: IncomingForm['authType']): IncomingForm {
  const secure = authType === 'oauth2' && (side.protocol === 'imap' || side.protocol === 'pop') ? (`${side.protocol}s` as IncomingProtocol) : side.protocol;
  return { ...withIncomingProtocol(side, secure), authType };
}

export function withOutgoingProtocol(side: OutgoingForm, protocol: OutgoingProtocol): OutgoingForm {
  const authType = protocol === 'graph' ? 'oauth2' : protocol === 'ews' && side.authType === 'none' ? 'password' : side.authType;
  return { ...side, protocol, port: followPort(side.port, side.protocol, protocol), tls: protocol === 'smtps' ? true : side.tls, authType };
}

/** The servers an app's provider preset suggests for one side (hosts, ports, connect URLs). */
export function serverPresets(app: OAuthApp | undefined, providers: ProviderPreset[] | undefined, side: 'incoming' | 'outgoing'): ServerPreset[] {
  if (!app) return [];
  const preset = providers?.find((p) => p.provider === app.provider);
  return preset?.baseScopes[app.baseScope]?.[side] ?? [];
}

/** Pre-fills host/port/connect URL (and, if needed, the protocol) from the chosen app's provider. */
export function withServerPreset<T extends IncomingForm | OutgoingForm>(side: T, presets: ServerPreset[]): T {
  const preset = presets.find((p) => p.protocol === side.protocol) ?? presets[0];
  if (!preset) return side;
  return {
    ...side,
    protocol: preset.protocol,
    host: preset.host ?? side.host,
    port: preset.port ?? (usesHost(preset.protocol) ? DEFAULT_PORTS[preset.protocol] : ''),
    connectUrl: preset.connectUrl ?? (usesConnectUrl(preset.protocol) ? side.connectUrl : ''),
    ...(preset.tls !== undefined && 'tls' in side ? { tls: preset.tls } : {}),
  };
}
