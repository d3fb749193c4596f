import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { ServerEndpoint } from '../../core/net/connection-options';

/**
 * TLS settings for a mail server (api.md `caCertificate`): the system roots plus the
 * admin's PEM, host names always verified, and no switch that turns checks off
 * (`rejectUnauthorized` is never set to false anywhere in deskmail).
 */
export function tlsOptionsFor(endpoint: ServerEndpoint): ConnectionOptions {
  const options: ConnectionOptions = { minVersion: 'TLSv1.2' };
  if (endpoint.caCertificate?.trim()) {
    // `ca` REPLACES the default roots in Node, so keep them: a private CA is trusted in addition.
    options.ca = [...rootCertificates, endpoint.caCertificate];
  }
  // SNI must not carry an IP literal (RFC 6066 §3); Node then checks the IP SANs against `host`.
  if (!isIP(endpoint.host)) options.servername = endpoint.host;
  return options;
}
