import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../core/logging/logger';
import { formatSeconds } from '../../core/net/deadline';
import { OAuthTuning } from '../oauth-tuning';
import type { TokenEndpointAuthMethod } from '../providers/provider-presets';
import { backoffDelayMs } from './backoff';
import { safeExcerpt } from './redact';
import { ClientRejectedError, GrantRevokedError, TokenEndpointError } from './token-errors';
import { parseTokenResponse, type TokenFailure, type TokenOutcome, type TokenSet } from './token-response';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string | null;
  method: TokenEndpointAuthMethod;
}

export interface TokenCall {
  tokenUrl: string;
  client: ClientCredentials;
  params: Record<string, string>;
  /** Tries for transient failures (1 = no retry: an authorization code is single-use anyway). */
  attempts: number;
  /** Log context (ids, never secrets). */
  context: Record<string, unknown>;
  /** Aborts waits and requests at shutdown. */
  signal?: AbortSignal;
}

/** Largest token response we read; anything bigger is not a token response. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * POSTs to token endpoints (RFC 6749 §4.1.3 code exchange, §6 refresh), one deadline per
 * request, retries with backoff for transient failures, and maps failures to the error family.
 */
@Injectable()
export class TokenEndpointClient {
  constructor(
    private readonly tuning: OAuthTuning,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async request(call: TokenCall): Promise<TokenSet> {
    const host = safeHost(call.tokenUrl);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.once(call, host);
      if (outcome.ok) return outcome.tokens;
      const { failure } = outcome;
      const last = failure.kind !== 'transient' || attempt >= call.attempts || call.signal?.aborted;
      // Status and a redacted, bounded excerpt of what came back: enough to act on, never a secret.
      this.logger.warn(
        { ...call.context, tokenHost: host, grantType: call.params.grant_type, status: failure.status, error: failure.error, attempt, kind: failure.kind, detail: failure.summary },
        last ? 'token endpoint request failed' : 'token endpoint request failed; retrying',
      );
      if (last) throw toError(failure, host);
      await sleep(backoffDelayMs(attempt, { baseMs: this.tuning.retryBaseMs, maxMs: this.tuning.retryMaxMs, jitter: 0.2 }), call.signal);
    }
  }

  /** A GET with a deadline and a Bearer (or query) token; null on any failure (userinfo is best effort). */
  async getJson(url: string, accessToken: string, tokenIn: 'header' | 'query', signal?: AbortSignal): Promise<Record<string, unknown> | null> {
    try {
      const target = new URL(url);
      if (tokenIn === 'query') target.searchParams.set('access_token', accessToken);
      const response = await fetch(target, {
        headers: tokenIn === 'header' ? { authorization: `Bearer ${accessToken}`, accept: 'application/json' } : { accept: 'application/json' },
        signal: this.deadline(signal),
      });
      if (!response.ok) return null;
      const data = (await response.json()) as unknown;
      return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  private async once(call: TokenCall, host: string): Promise<TokenOutcome> {
    const { headers, body } = encodeRequest(call.client, call.params);
    try {
      const response = await fetch(call.tokenUrl, { method: 'POST', headers, body, signal: this.deadline(call.signal), redirect: 'error' });
      const text = await readBounded(response);
      return parseTokenResponse(response.status, response.headers.get('content-type'), text);
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError';
      const summary = timedOut
        ? `no answer from ${host} within ${formatSeconds(this.tuning.requestTimeoutMs)}`
        : `could not reach ${host}: ${safeExcerpt(causeMessage(error), 160)}`;
      return { ok: false, failure: { kind: 'transient', status: null, error: null, summary } };
    }
  }

  private deadline(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.tuning.requestTimeoutMs);
    return signal ? AbortSignal.any([timeout, signal]) : timeout;
  }
}

/**
 * Client authentication (RFC 6749 §2.3.1): Basic with form-urlencoded id and secret, or both in
 * the body; a public client (`none`) sends only client_id and relies on PKCE (RFC 7636).
 */
export function encodeRequest(client: ClientCredentials, params: Record<string, string>): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const form = new URLSearchParams(params);
  if (client.method === 'client_secret_basic') {
    const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    if (client.method === 'client_secret_post') form.set('client_secret', client.clientSecret ?? '');
  }
  return { headers, body: form.toString() };
}

function toError(failure: TokenFailure, host: string): Error {
  const message = `token endpoint ${host}: ${failure.summary}`;
  if (failure.kind === 'invalidGrant') return new GrantRevokedError(`${message}; the grant was revoked or has expired: re-authorize the mailbox`);
  if (failure.kind === 'clientRejected') {
    return new ClientRejectedError(`${message}; the authorization server refused the app's client id or secret: check the OAuth2 app (client secrets expire)`, failure);
  }
  return new TokenEndpointError(message, failure);
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) {
    await response.body?.cancel();
    return `<${length} bytes, not read>`;
  }
  const text = await response.text();
  return text.length > MAX_BODY_BYTES ? text.slice(0, MAX_BODY_BYTES) : text;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'token endpoint';
  }
}

function causeMessage(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
