import { ProtocolError } from '../../core/errors';
import type { MailTransport, MailTransportFactory, MailTransportOptions, OutgoingProtocol } from '../mail-transport.port';
import { SmtpTransport } from './smtp/smtp.transport';

/** Adapters whose protocol is in the contract but not built yet: refuse loudly, never a silent stub. */
function notSupportedYet(protocol: OutgoingProtocol): MailTransportFactory {
  return () => {
    throw new ProtocolError(`outgoing protocol ${protocol} is not supported yet`);
  };
}

/** protocol → adapter; one entry per outgoing protocol of the API contract. */
const TRANSPORT_FACTORIES: Record<OutgoingProtocol, MailTransportFactory> = {
  smtp: (options) => new SmtpTransport(options),
  smtps: (options) => new SmtpTransport(options),
  ews: notSupportedYet('ews'),
  graph: notSupportedYet('graph'),
};

export function createMailTransport(options: MailTransportOptions): MailTransport {
  const factory = Object.hasOwn(TRANSPORT_FACTORIES, options.protocol) ? TRANSPORT_FACTORIES[options.protocol] : undefined;
  if (!factory) throw new ProtocolError(`unknown outgoing protocol ${String(options.protocol)}`);
  return factory(options);
}
