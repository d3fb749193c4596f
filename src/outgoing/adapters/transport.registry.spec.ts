import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors';
import { DEFAULT_DEADLINES } from '../../core/net/connection-options';
import type { MailTransportOptions, OutgoingProtocol } from '../mail-transport.port';
import { EwsTransport } from './ews/ews.transport';
import { GraphTransport } from './graph/graph.transport';
import { SmtpTransport } from './smtp/smtp.transport';
import { createMailTransport } from './transport.registry';

const options = (protocol: OutgoingProtocol): MailTransportOptions => ({
  protocol,
  endpoint: { host: 'smtp.example.com', port: 0 },
  requireTls: true,
  credentials: { kind: 'none' },
  deadlines: DEFAULT_DEADLINES,
});

describe('createMailTransport', () => {
  it('sends smtp and smtps through the SMTP adapter', () => {
    assert.ok(createMailTransport(options('smtp')) instanceof SmtpTransport);
    assert.ok(createMailTransport(options('smtps')) instanceof SmtpTransport);
  });

  it('sends ews and graph through their adapters', () => {
    assert.ok(createMailTransport(options('ews')) instanceof EwsTransport);
    assert.ok(createMailTransport(options('graph')) instanceof GraphTransport);
  });

  it('refuses a protocol outside the contract', () => {
    assert.throws(() => createMailTransport(options('pop' as OutgoingProtocol)), ProtocolError);
  });
});
