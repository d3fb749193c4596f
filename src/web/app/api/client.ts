import { currentToken, signOut } from '../auth/session';
import type { ErrorBody, ErrorCode } from './types';

/**
 * The one place the UI talks HTTP: every call carries the session's API token, JSON in and
 * out, errors become ApiError with the contract's `message` entries and `code`.
 */
export class ApiError extends Error {
  readonly messages: string[];

  constructor(
    readonly status: number,
    messages: string[],
    readonly code?: ErrorCode,
  ) {
    super(messages.join('; ') || `HTTP ${status}`);
    this.name = 'ApiError';
    this.messages = messages;
  }
}

export type QueryParams = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: QueryParams;
  /** A token to try instead of the session's (sign-in). A 401 then does not end the session. */
  token?: string;
  signal?: AbortSignal;
}

export function buildPath(path: string, query?: QueryParams): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
  const token = options.token ?? currentToken();
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(buildPath(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, ['The deskmail service cannot be reached. Is it running?']);
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && options.token === undefined) signOut('rejected');
  throw error;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: ErrorBody | null = null;
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    body = null;
  }
  const raw = body?.message;
  const messages = Array.isArray(raw) ? raw : raw ? [raw] : [`${response.status} ${response.statusText || body?.error || 'error'}`];
  return new ApiError(response.status, messages, body?.code);
}

export async function requestJson<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options, 'application/json');
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Bytes (attachments, raw mail): fetched with the token, never by putting the token in a URL. */
export async function requestBlob(path: string): Promise<Blob> {
  const response = await send('GET', path, {}, '*/*');
  return response.blob();
}

/** Offers a blob as a file download (an object URL that lives only for the click). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The human-readable text of any error the UI shows. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.messages.join('\n');
  if (error instanceof Error) return error.message;
  return String(error);
}
