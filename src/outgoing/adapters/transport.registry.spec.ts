import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors';
import { DEFAULT_DEADLINES } from '../../core/net/connection-options';
import type { MailTransportOptions, OutgoingProtocol } from '../mail-transport.port';
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

  for (const protocol of ['ews', 'graph'] as const) {
    it(`refuses ${protocol} until its adapter exists`, () => {
      assert.throws(() => createMailTransport(options(protocol)), (error: unknown) => {
        return error instanceof ProtocolError && error.message === `outgoing protocol ${protocol} is not supported yet`;
      });
    });
  }

  it('refuses a protocol outside the contract', () => {
    assert.throws(() => createMailTransport(options('pop' as OutgoingProtocol)), ProtocolError);
  });
});
