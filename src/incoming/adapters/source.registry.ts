import { ProtocolError } from '../../core/errors';
import type { IncomingProtocol, MailSource, MailSourceFactory, MailSourceOptions } from '../mail-source.port';
import { GraphSource } from './graph/graph.source';
import { ImapSource } from './imap/imap.source';
import { Pop3Source } from './pop3/pop3.source';

/**
 * protocol → adapter, one entry per protocol (the way imapflow registers one file per
 * command). A protocol missing here is an error that says so, never a stub that answers null.
 */
const SOURCE_FACTORIES: Partial<Record<IncomingProtocol, MailSourceFactory>> = {
  imap: (options) => new ImapSource(options),
  imaps: (options) => new ImapSource(options),
  pop: (options) => new Pop3Source(options),
  pops: (options) => new Pop3Source(options),
  // Loaded on first use: ews-javascript-api takes over a second to load, which no start should pay for a protocol it may not use.
  ews: (options) => new (require('./ews/ews.source') as typeof import('./ews/ews.source')).EwsSource(options),
  graph: (options) => new GraphSource(options),
};

export function createMailSource(options: MailSourceOptions): MailSource {
  const factory = SOURCE_FACTORIES[options.protocol];
  if (!factory) throw new ProtocolError(`${options.protocol} is not supported yet`);
  return factory(options);
}

export function supportedIncomingProtocols(): IncomingProtocol[] {
  return Object.keys(SOURCE_FACTORIES) as IncomingProtocol[];
}
