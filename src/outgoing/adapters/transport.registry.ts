import { ProtocolError } from '../../core/errors';
import type { MailTransport, MailTransportFactory, MailTransportOptions, OutgoingProtocol } from '../mail-transport.port';
import { GraphTransport } from './graph/graph.transport';
import { SmtpTransport } from './smtp/smtp.transport';

/** protocol → adapter; one entry per outgoing protocol of the API contract. */
const TRANSPORT_FACTORIES: Record<OutgoingProtocol, MailTransportFactory> = {
  smtp: (options) => new SmtpTransport(options),
  smtps: (options) => new SmtpTransport(options),
  // Loaded on first use: ews-javascript-api takes over a second to load (see source.registry.ts).
  ews: (options) => new (require('./ews/ews.transport') as typeof import('./ews/ews.transport')).EwsTransport(options),
  graph: (options) => new GraphTransport(options),
};

export function createMailTransport(options: MailTransportOptions): MailTransport {
  const factory = Object.hasOwn(TRANSPORT_FACTORIES, options.protocol) ? TRANSPORT_FACTORIES[options.protocol] : undefined;
  if (!factory) throw new ProtocolError(`unknown outgoing protocol ${String(options.protocol)}`);
  return factory(options);
}
