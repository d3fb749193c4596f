import type { Request } from 'express';
import type { AppConfig } from '../core/config/app-config';

/**
 * The base URL the browser reaches this service under, for default redirect URLs:
 * DESKMAIL_PUBLIC_URL when set (behind a proxy, the only reliable answer), else the origin
 * the admin's own request came in on (`trust proxy` honours X-Forwarded-Proto from loopback).
 */
export function serviceBaseUrl(config: AppConfig, request: Request): string {
  if (config.publicUrl) return config.publicUrl;
  const host = request.get('host') ?? `${request.socket.localAddress}:${request.socket.localPort}`;
  return `${request.protocol}://${host}`;
}
