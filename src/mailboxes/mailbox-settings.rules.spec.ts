import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../core/errors';
import type { IncomingInputDto, OutgoingInputDto } from './dto/mailbox-input.dto';
import { resolveIncoming, resolveOutgoing } from './mailbox-settings.rules';

const imaps: IncomingInputDto = { protocol: 'imaps', authType: 'password', host: 'imap.example.com', username: 'support@example.com' };
const refusedField = (fn: () => unknown, field: string) =>
  assert.throws(fn, (error: unknown) => error instanceof InvalidInputError && error.field === field && error.message.startsWith(field));

describe('incoming settings rules', () => {
  it('fills the defaults an admin expects', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    const settings = resolveIncoming(imaps, null, now);
    assert.equal(settings.port, 993);
    assert.equal(settings.folder, 'INBOX');
    assert.equal(settings.fetchIntervalMinutes, 5);
    assert.equal(settings.afterFetch, 'markSeen');
    assert.equal(settings.importExisting, 'since');
    assert.equal(settings.importSince, '2026-11-16T00:00:00.000Z');
    assert.equal(settings.fallbackCharset, 'windows-1252');
    assert.deepEqual(settings.loopLimit, { count: 5, minutes: 60 });
    assert.equal(settings.createRequests, true);
  });

  it('defaults ports by protocol and keeps a given one', () => {
    assert.equal(resolveIncoming({ ...imaps, protocol: 'imap' }, null).port, 143);
    assert.equal(resolveIncoming({ ...imaps, protocol: 'pop' }, null).port, 110);
    assert.equal(resolveIncoming({ ...imaps, protocol: 'pops' }, null).port, 995);
    assert.equal(resolveIncoming({ ...imaps, port: 10993 }, null).port, 10993);
  });

  it('allows OAuth2 over IMAP/POP only with TLS', () => {
    refusedField(() => resolveIncoming({ ...imaps, protocol: 'imap', authType: 'oauth2', oauth2App: 'x' }, null), 'incoming.authType');
    refusedField(() => resolveIncoming({ ...imaps, protocol: 'pop', authType: 'oauth2', oauth2App: 'x' }, null), 'incoming.authType');
    assert.equal(resolveIncoming({ ...imaps, authType: 'oauth2', oauth2App: 'x' }, null).authType, 'oauth2');
  });

  it('checks afterFetch per protocol and needs moveTo for move', () => {
    refusedField(() => resolveIncoming({ ...imaps, afterFetch: 'keep' }, null), 'incoming.afterFetch');
    refusedField(() => resolveIncoming({ ...imaps, protocol: 'pops', afterFetch: 'markSeen' }, null), 'incoming.afterFetch');
    refusedField(() => resolveIncoming({ ...imaps, afterFetch: 'move' }, null), 'incoming.moveTo');
    assert.equal(resolveIncoming({ ...imaps, protocol: 'pops' }, null).afterFetch, 'delete');
    assert.equal(resolveIncoming({ ...imaps, afterFetch: 'move', moveTo: 'Done' }, null).moveTo, 'Done');
  });

  it('needs a connect URL for EWS, https or loopback http', () => {
    const ews = { protocol: 'ews', authType: 'oauth2', oauth2App: 'x' } as IncomingInputDto;
    refusedField(() => resolveIncoming(ews, null), 'incoming.connectUrl');
    refusedField(() => resolveIncoming({ ...ews, connectUrl: 'http://exchange.example.com/EWS/Exchange.asmx' }, null), 'incoming.connectUrl');
    assert.equal(resolveIncoming({ ...ews, connectUrl: 'https://mail.example.com/EWS/Exchange.asmx' }, null).host, null);
    refusedField(() => resolveIncoming({ protocol: 'graph', authType: 'password', username: 'x' }, null), 'incoming.authType');
  });

  it('refuses idle on POP, unknown charsets and broken certificates', () => {
    refusedField(() => resolveIncoming({ ...imaps, protocol: 'pops', idle: true }, null), 'incoming.idle');
    refusedField(() => resolveIncoming({ ...imaps, fallbackCharset: 'klingon-8' }, null), 'incoming.fallbackCharset');
    refusedField(() => resolveIncoming({ ...imaps, caCertificate: 'not a pem' }, null), 'incoming.caCertificate');
    refusedField(() => resolveIncoming({ ...imaps, host: 'bad host!' }, null), 'incoming.host');
  });

  it('re-validates a PATCH merged into the stored settings', () => {
    const stored = resolveIncoming(imaps, null);
    refusedField(() => resolveIncoming({ protocol: 'imap', authType: 'oauth2', oauth2App: 'x' }, stored), 'incoming.authType');
    const toPop = resolveIncoming({ protocol: 'pops' }, stored);
    assert.equal(toPop.port, 995, 'a protocol change takes the new default port');
    assert.equal(toPop.afterFetch, 'delete', 'and the new default action');
    assert.equal(resolveIncoming({ fetchIntervalMinutes: 10 }, stored).host, 'imap.example.com');
  });
});

describe('outgoing settings rules', () => {
  const incoming = resolveIncoming({ ...imaps, authType: 'oauth2', oauth2App: 'app-1' }, null);
  const smtp: OutgoingInputDto = { protocol: 'smtp', authType: 'password', host: 'smtp.example.com', username: 'support@example.com' };

  it('requires STARTTLS whenever credentials are sent over smtp', () => {
    refusedField(() => resolveOutgoing({ ...smtp, tls: false }, null, incoming, ['support@example.com'], 'Support'), 'outgoing.tls');
    refusedField(() => resolveOutgoing({ ...smtp, authType: 'oauth2', tls: false, oauth2App: 'a' }, null, incoming, ['support@example.com'], 'Support'), 'outgoing.tls');
    assert.equal(resolveOutgoing({ ...smtp, authType: 'none', tls: false }, null, incoming, ['s@example.com'], 'S').tls, false);
  });

  it('defaults port, sender name and sender address', () => {
    const settings = resolveOutgoing(smtp, null, incoming, ['Support@Example.com'], 'Example Support');
    assert.equal(settings.port, 587);
    assert.equal(settings.senderName, 'Example Support');
    assert.equal(settings.senderAddress, 'support@example.com');
    assert.equal(resolveOutgoing({ ...smtp, protocol: 'smtps' }, null, incoming, ['s@example.com'], 'S').port, 465);
  });

  it('reuses the incoming OAuth2 app with sameAsIncoming, which needs OAuth2 on both sides', () => {
    const same = resolveOutgoing({ protocol: 'smtps', authType: 'oauth2', host: 'smtp.example.com', sameAsIncoming: true }, null, incoming, ['s@example.com'], 'S');
    assert.equal(same.oauth2App, 'app-1');
    refusedField(() => resolveOutgoing({ ...smtp, sameAsIncoming: true }, null, incoming, ['s@example.com'], 'S'), 'outgoing.sameAsIncoming');
  });
});
