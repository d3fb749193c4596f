import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors';
import { DEFAULT_DEADLINES } from '../../core/net/connection-options';
import type { IncomingProtocol, MailSourceOptions } from '../mail-source.port';
import { EwsSource } from './ews/ews.source';
import { GraphSource } from './graph/graph.source';
import { ImapSource } from './imap/imap.source';
import { Pop3Source } from './pop3/pop3.source';
import { createMailSource } from './source.registry';

function options(protocol: IncomingProtocol): MailSourceOptions {
  return {
    protocol,
    endpoint: { host: 'mail.example.com', port: 993 },
    credentials: { kind: 'password', username: 'support@example.com', password: 'secret' },
    folder: 'INBOX',
    deadlines: DEFAULT_DEADLINES,
  };
}

describe('createMailSource', () => {
  const adapters: Array<[IncomingProtocol, Function]> = [
    ['imap', ImapSource],
    ['imaps', ImapSource],
    ['pop', Pop3Source],
    ['pops', Pop3Source],
    ['ews', EwsSource],
    ['graph', GraphSource],
  ];
  for (const [protocol, adapter] of adapters) {
    it(`gives ${protocol} mailboxes the ${adapter.name}`, () => {
      assert.ok(createMailSource(options(protocol)) instanceof adapter);
    });
  }

  it('refuses a protocol outside the contract instead of answering null', () => {
    assert.throws(() => createMailSource(options('smtp' as IncomingProtocol)), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.message, 'smtp is not supported yet');
      return true;
    });
  });
});
