import crypto from 'node:crypto';
import iconv from 'iconv-lite';
import { InvalidInputError } from '../core/errors';
import type { AfterFetchAction, IncomingProtocol } from '../incoming/mail-source.port';
import type { OutgoingProtocol } from '../outgoing/mail-transport.port';
import type { IncomingInputDto, OutgoingInputDto } from './dto/mailbox-input.dto';
import type { IncomingSettings, OutgoingSettings } from './mailbox.types';

/**
 * The rules of api.md that join fields, as pure functions over the MERGED settings (a
 * PATCH is merged into what is stored, then checked whole). Each broken rule is an
 * InvalidInputError naming the field.
 */
export const DEFAULT_PORTS: Record<string, number> = { imap: 143, imaps: 993, pop: 110, pops: 995, smtp: 587, smtps: 465 };
const AFTER_FETCH: Record<IncomingProtocol, AfterFetchAction[]> = {
  imap: ['markSeen', 'move', 'delete'],
  imaps: ['markSeen', 'move', 'delete'],
  pop: ['delete', 'keep'],
  pops: ['delete', 'keep'],
  ews: ['markRead', 'move', 'delete'],
  graph: ['markRead', 'move', 'delete'],
};
const IMPORT_WINDOW_DAYS = 7;

const isImap = (p: string): boolean => p === 'imap' || p === 'imaps';
const isPop = (p: string): boolean => p === 'pop' || p === 'pops';
const usesHost = (p: string): boolean => isImap(p) || isPop(p) || p === 'smtp' || p === 'smtps';

type Input<T> = { [K in keyof T]?: T[K] | null };

/** Fields that, when changed, mean the live connection must be rebuilt. */
export const INCOMING_SERVER_FIELDS = ['protocol', 'authType', 'host', 'port', 'connectUrl', 'username', 'oauth2App', 'folder', 'caCertificate', 'idle', 'enabled'] as const;

export function resolveIncoming(input: IncomingInputDto, previous: IncomingSettings | null, now = new Date()): IncomingSettings {
  const merged = { ...(previous ?? {}), ...stripUndefined(input) } as Input<IncomingSettings>;
  const protocol = required(merged.protocol, 'incoming.protocol') as IncomingProtocol;
  const authType = required(merged.authType, 'incoming.authType') as IncomingSettings['authType'];
  const protocolChanged = previous !== null && input.protocol !== undefined && input.protocol !== previous.protocol;

  if (protocol === 'graph' && authType !== 'oauth2') throw new InvalidInputError('incoming.authType', 'must be oauth2 for graph (Microsoft Graph has no password login)');
  if (authType === 'oauth2' && (protocol === 'imap' || protocol === 'pop')) {
    throw new InvalidInputError('incoming.authType', `oauth2 needs ${protocol}s: no token crosses an unencrypted connection`);
  }
  const host = usesHost(protocol) ? hostName(merged.host, 'incoming.host') : null;
  // A protocol change without a new port takes the new protocol's default port.
  const port = usesHost(protocol) ? (input.port ?? (protocolChanged ? null : merged.port) ?? DEFAULT_PORTS[protocol]) : null;
  const connectUrl = connectUrlFor(protocol, merged.connectUrl ?? null, 'incoming.connectUrl');

  const defaultAction: AfterFetchAction = isImap(protocol) ? 'markSeen' : isPop(protocol) ? 'delete' : 'markRead';
  const afterFetch = ((protocolChanged && input.afterFetch === undefined ? null : merged.afterFetch) ?? defaultAction) as AfterFetchAction;
  if (!AFTER_FETCH[protocol].includes(afterFetch)) {
    throw new InvalidInputError('incoming.afterFetch', `must be one of ${AFTER_FETCH[protocol].join(', ')} for ${protocol}`);
  }
  const moveTo = afterFetch === 'move' ? nonEmpty(merged.moveTo, 'incoming.moveTo', 'is required when afterFetch is move') : null;
  const idle = merged.idle ?? false;
  if (idle && !isImap(protocol)) throw new InvalidInputError('incoming.idle', 'is only available for imap and imaps');

  const importExisting = (merged.importExisting ?? 'since') as IncomingSettings['importExisting'];
  const importSince =
    importExisting === 'since' ? (merged.importSince ?? new Date(now.getTime() - IMPORT_WINDOW_DAYS * 86_400_000).toISOString()) : null;

  const fallbackCharset = (merged.fallbackCharset ?? 'windows-1252').toLowerCase();
  if (!iconv.encodingExists(fallbackCharset)) throw new InvalidInputError('incoming.fallbackCharset', `"${fallbackCharset}" is not a charset deskmail knows`);

  return {
    protocol,
    authType,
    host,
    port,
    connectUrl,
    username: authType === 'password' || merged.username ? nonEmpty(merged.username, 'incoming.username', 'is required for password login') : null,
    oauth2App: authType === 'oauth2' ? nonEmpty(merged.oauth2App, 'incoming.oauth2App', 'is required when authType is oauth2') : null,
    folder: merged.folder ?? 'INBOX',
    fetchIntervalMinutes: merged.fetchIntervalMinutes ?? 5,
    idle,
    afterFetch,
    moveTo,
    debug: merged.debug ?? false,
    createRequests: merged.createRequests ?? true,
    importExisting,
    importSince,
    fallbackCharset,
    loopLimit: merged.loopLimit ?? { count: 5, minutes: 60 },
    caCertificate: pem(merged.caCertificate ?? null, 'incoming.caCertificate'),
    enabled: merged.enabled ?? true,
  };
}

export function resolveOutgoing(input: OutgoingInputDto, previous: OutgoingSettings | null, incoming: IncomingSettings, emailAddresses: string[], mailboxName: string): OutgoingSettings {
  const merged = { ...(previous ?? {}), ...stripUndefined(input) } as Input<OutgoingSettings>;
  const protocol = required(merged.protocol, 'outgoing.protocol') as OutgoingProtocol;
  const authType = required(merged.authType, 'outgoing.authType') as OutgoingSettings['authType'];
  const protocolChanged = previous !== null && input.protocol !== undefined && input.protocol !== previous.protocol;
  const tls = protocol === 'smtps' ? true : (merged.tls ?? true);

  if (protocol === 'graph' && authType !== 'oauth2') throw new InvalidInputError('outgoing.authType', 'must be oauth2 for graph');
  if ((protocol === 'ews' || protocol === 'graph') && authType === 'none') throw new InvalidInputError('outgoing.authType', `cannot be none for ${protocol}`);
  if (protocol === 'smtp' && authType !== 'none' && !tls) {
    throw new InvalidInputError('outgoing.tls', `must be true for smtp with ${authType}: STARTTLS is required whenever credentials are sent (or use smtps)`);
  }
  const sameAsIncoming = merged.sameAsIncoming ?? false;
  if (sameAsIncoming && (authType !== 'oauth2' || incoming.authType !== 'oauth2')) {
    throw new InvalidInputError('outgoing.sameAsIncoming', 'needs authType oauth2 on both incoming and outgoing');
  }
  const host = usesHost(protocol) ? hostName(merged.host, 'outgoing.host') : null;
  const alternateHost = merged.alternateHost ? hostName(merged.alternateHost, 'outgoing.alternateHost') : null;
  const oauth2App =
    authType !== 'oauth2' ? null : sameAsIncoming ? incoming.oauth2App : nonEmpty(merged.oauth2App, 'outgoing.oauth2App', 'is required when authType is oauth2 (or set sameAsIncoming)');
  const senderAddress = (merged.senderAddress ?? emailAddresses[0]).toLowerCase();
  return {
    protocol,
    authType,
    host,
    alternateHost,
    port: usesHost(protocol) ? (input.port ?? (protocolChanged ? null : merged.port) ?? DEFAULT_PORTS[protocol]) : null,
    tls,
    connectUrl: connectUrlFor(protocol, merged.connectUrl ?? null, 'outgoing.connectUrl'),
    username:
      authType === 'password' ? nonEmpty(merged.username, 'outgoing.username', 'is required for password login') : authType === 'oauth2' ? (merged.username ?? incoming.username ?? senderAddress) : null,
    oauth2App,
    sameAsIncoming,
    senderName: merged.senderName ?? mailboxName,
    senderAddress,
    replyTo: merged.replyTo ?? null,
    acknowledge: merged.acknowledge ?? false,
    caCertificate: pem(merged.caCertificate ?? null, 'outgoing.caCertificate'),
    debug: merged.debug ?? false,
    enabled: merged.enabled ?? true,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function required<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw new InvalidInputError(field, 'is required');
  return value;
}

function nonEmpty(value: string | null | undefined, field: string, reason: string): string {
  if (!value || !value.trim()) throw new InvalidInputError(field, reason);
  return value.trim();
}

function hostName(value: string | null | undefined, field: string): string {
  const host = nonEmpty(value, field, 'is required for this protocol').toLowerCase();
  // RFC 1123 host names, IPv4 and bracket-less IPv6 literals.
  if (!/^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$/.test(host) && !/^[0-9a-f:]+$/.test(host)) {
    throw new InvalidInputError(field, `"${host}" is not a host name`);
  }
  return host;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

function connectUrlFor(protocol: string, value: string | null, field: string): string | null {
  if (protocol !== 'ews' && protocol !== 'graph') return null;
  if (!value) {
    if (protocol === 'ews') throw new InvalidInputError(field, 'is required for ews (https://…/EWS/Exchange.asmx)');
    return null;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError(field, 'must be an https URL');
  }
  // http only for loopback: a password or token never crosses an unencrypted network.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) throw new InvalidInputError(field, 'must be an https URL');
  return value;
}

function pem(value: string | null, field: string): string | null {
  if (!value || !value.trim()) return null;
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw new InvalidInputError(field, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const block of blocks) {
    try {
      new crypto.X509Certificate(block);
    } catch {
      throw new InvalidInputError(field, 'contains a certificate that cannot be read');
    }
  }
  return blocks.join('\n') + '\n';
}
