import fs from 'node:fs';
import path from 'node:path';

/**
 * The provider presets of design.md, kept as data in `config/oauth-providers.json` so an
 * operator can read (and a release can change) endpoints and scopes without touching code.
 * This file only loads, checks and types that data.
 */
export type ProviderName = 'gmail' | 'outlook' | 'mailRu' | 'custom';
export const PROVIDERS: readonly ProviderName[] = ['gmail', 'outlook', 'mailRu', 'custom'];

export type BaseScope = 'imap' | 'graph' | 'ews';
export const BASE_SCOPES: readonly BaseScope[] = ['imap', 'graph', 'ews'];

/** RFC 6749 §2.3 client authentication at the token endpoint; `none` = public client, PKCE only (RFC 7636). */
export type TokenEndpointAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'none';
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_post', 'client_secret_basic', 'none'];

/** One server the admin UI pre-fills, in the mailbox settings' own field names. */
export interface ServerPreset {
  protocol: string;
  host?: string;
  port?: number;
  tls?: boolean;
  connectUrl?: string;
}

export interface BaseScopePreset {
  scopes: string[];
  incoming: ServerPreset[];
  outgoing: ServerPreset[];
}

export interface UserinfoPreset {
  url: string;
  /** Mail.ru's userinfo takes the token as `access_token` in the query, not as a Bearer header. */
  tokenIn: 'header' | 'query';
  /** Response fields tried in order for the user's address. */
  fields: string[];
}

export interface RefreshTokenLifetime {
  /** The token dies after this many days without use (Google: 6 months). */
  idleDays: number | null;
  /** The token dies this many days after it was issued, used or not (Microsoft: 90, renewed by rotation). */
  maxAgeDays: number | null;
  note: string;
}

export interface ProviderPreset {
  name: string;
  authorities?: string[];
  defaultAuthority?: string;
  authorizeUrl: string | null;
  tokenUrl: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Extra authorize parameters, e.g. Google's access_type=offline&prompt=consent (else no refresh token). */
  authorizeParams: Record<string, string>;
  identityScopes: string[];
  /** Microsoft's v2 endpoint wants `scope` on refresh requests too. */
  sendScopeOnRefresh: boolean;
  userinfo: UserinfoPreset | null;
  refreshToken: RefreshTokenLifetime;
  baseScopes: Partial<Record<BaseScope, BaseScopePreset>>;
}

export type ProviderPresets = Record<ProviderName, ProviderPreset>;

const FILE_NAME = path.join('config', 'oauth-providers.json');

/** Walks up from this file to the project root (works from src/ and from dist/src/). */
export function presetsFilePath(start = __dirname): string {
  let dir = start;
  for (let i = 0; i < 8; i += 1) {
    const candidate = path.join(dir, FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`${FILE_NAME} not found above ${start}`);
}

let cached: ProviderPresets | undefined;

/** The presets, read once per process. A broken file stops the service at start, naming what is wrong. */
export function providerPresets(): ProviderPresets {
  if (!cached) {
    const file = presetsFilePath();
    cached = checkPresets(JSON.parse(fs.readFileSync(file, 'utf8')).providers, file);
  }
  return cached;
}

export function presetOf(provider: ProviderName): ProviderPreset {
  return providerPresets()[provider];
}

export function checkPresets(raw: unknown, where = 'presets'): ProviderPresets {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('"providers" must be an object');
  const presets = raw as Record<string, ProviderPreset>;
  for (const name of PROVIDERS) {
    const preset = presets[name];
    if (!preset) fail(`provider ${name} is missing`);
    if (!TOKEN_ENDPOINT_AUTH_METHODS.includes(preset.tokenEndpointAuthMethod)) fail(`${name}.tokenEndpointAuthMethod is invalid`);
    if (name !== 'custom' && (!preset.authorizeUrl?.startsWith('https://') || !preset.tokenUrl?.startsWith('https://'))) {
      fail(`${name} needs https authorizeUrl and tokenUrl`);
    }
    if (!preset.baseScopes?.imap) fail(`${name}.baseScopes.imap is missing`);
    for (const key of Object.keys(preset.baseScopes)) {
      if (!BASE_SCOPES.includes(key as BaseScope)) fail(`${name}.baseScopes.${key} is not a base scope`);
    }
    if (!Array.isArray(preset.identityScopes) || typeof preset.authorizeParams !== 'object') fail(`${name} needs identityScopes and authorizeParams`);
  }
  return presets as ProviderPresets;
}
