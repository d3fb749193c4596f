import type { IncomingInput, MailboxInput, OutgoingInput } from '../api/types';
import { blankToNull } from '../components/form-errors';
import { fromDateInput } from '../components/format';
import { isImap, usesConnectUrl, usesHost, type IncomingForm, type MailboxFormValues, type OutgoingForm } from './mailbox-form';

/**
 * Form → request body: only the fields the chosen protocol and auth type use, nulls for the
 * rest, passwords only when typed (blank keeps the stored one).
 */
const numberOrNull = (value: number | '') => (value === '' ? null : value);

function incomingInput(i: IncomingForm): IncomingInput {
  const input: IncomingInput = {
    protocol: i.protocol,
    authType: i.authType,
    host: usesHost(i.protocol) ? blankToNull(i.host) : null,
    port: usesHost(i.protocol) ? numberOrNull(i.port) : null,
    connectUrl: usesConnectUrl(i.protocol) ? blankToNull(i.connectUrl) : null,
    username: blankToNull(i.username),
    oauth2App: i.authType === 'oauth2' ? i.oauth2App : null,
    folder: i.folder.trim() || 'INBOX',
    fetchIntervalMinutes: numberOrNull(i.fetchIntervalMinutes),
    idle: isImap(i.protocol) && i.idle,
    afterFetch: i.afterFetch,
    moveTo: i.afterFetch === 'move' ? blankToNull(i.moveTo) : null,
    debug: i.debug,
    createRequests: i.createRequests,
    importExisting: i.importExisting,
    importSince: i.importExisting === 'since' ? fromDateInput(i.importSince) : null,
    fallbackCharset: i.fallbackCharset.trim() || null,
    loopLimit: { count: Number(i.loopLimit.count || 0), minutes: Number(i.loopLimit.minutes || 0) },
    caCertificate: blankToNull(i.caCertificate),
    enabled: i.enabled,
  };
  if (i.authType === 'password' && i.password) input.password = i.password;
  return input;
}

function outgoingInput(o: OutgoingForm, incoming: IncomingForm): OutgoingInput {
  const same = o.authType === 'oauth2' && incoming.authType === 'oauth2' && o.sameAsIncoming;
  const input: OutgoingInput = {
    protocol: o.protocol,
    authType: o.authType,
    host: usesHost(o.protocol) ? blankToNull(o.host) : null,
    alternateHost: usesHost(o.protocol) ? blankToNull(o.alternateHost) : null,
    port: usesHost(o.protocol) ? numberOrNull(o.port) : null,
    tls: o.protocol === 'smtps' ? true : o.tls,
    connectUrl: usesConnectUrl(o.protocol) ? blankToNull(o.connectUrl) : null,
    username: o.authType === 'none' ? null : blankToNull(o.username),
    oauth2App: o.authType === 'oauth2' && !same ? o.oauth2App : null,
    sameAsIncoming: same,
    senderName: blankToNull(o.senderName),
    senderAddress: blankToNull(o.senderAddress),
    replyTo: blankToNull(o.replyTo),
    acknowledge: o.acknowledge,
    caCertificate: blankToNull(o.caCertificate),
    debug: o.debug,
    enabled: o.enabled,
  };
  if (o.authType === 'password' && o.password) input.password = o.password;
  return input;
}

/** The whole form → the body of POST (create) or PATCH (edit; `outgoing: null` removes it). */
export function formToInput(values: MailboxFormValues, editing: boolean): MailboxInput {
  const input: MailboxInput = {
    name: values.name.trim(),
    emailAddresses: values.emailAddresses,
    incoming: incomingInput(values.incoming),
  };
  if (values.hasOutgoing) input.outgoing = outgoingInput(values.outgoing, values.incoming);
  else if (editing) input.outgoing = null;
  return input;
}
