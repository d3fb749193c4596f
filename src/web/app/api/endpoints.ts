import { requestBlob, requestJson } from './client';
import type {
  FetchSummary,
  LogEntry,
  Mailbox,
  MailboxInput,
  OAuthApp,
  OAuthAppInput,
  OutboxMessage,
  OutboxStatus,
  Page,
  PageQuery,
  ProviderPreset,
  QuarantinedMail,
  RequestDetail,
  RequestQuery,
  RequestStatus,
  RequestSummary,
  RetryResult,
  SampleMailResult,
  Side,
  TestMailResult,
} from './types';

/** Typed calls, one per endpoint of api.md. */
const enc = encodeURIComponent;
const get = <T>(path: string, query?: object) => requestJson<T>('GET', path, { query: query as Record<string, string> });
const post = <T>(path: string, body?: unknown) => requestJson<T>('POST', path, { body });
const patch = <T>(path: string, body: unknown) => requestJson<T>('PATCH', path, { body });
const put = <T>(path: string, body?: unknown) => requestJson<T>('PUT', path, { body });
const del = (path: string) => requestJson<void>('DELETE', path);

export const api = {
  /** Sign-in: a cheap authenticated call with a candidate token (401 = wrong token). */
  verifyToken: (token: string) => requestJson<unknown>('GET', '/v1/mailboxes', { query: { pageSize: 1 }, token }),

  providers: () => get<{ providers: ProviderPreset[] }>('/v1/oauth2/providers'),
  oauthApps: {
    list: (query: PageQuery = { pageSize: 200 }) => get<Page & { apps: OAuthApp[] }>('/v1/oauth2', query),
    get: (id: string) => get<OAuthApp>(`/v1/oauth2/${enc(id)}`),
    create: (input: OAuthAppInput) => post<OAuthApp>('/v1/oauth2', input),
    update: (id: string, input: OAuthAppInput) => patch<OAuthApp>(`/v1/oauth2/${enc(id)}`, input),
    remove: (id: string) => del(`/v1/oauth2/${enc(id)}`),
  },

  mailboxes: {
    list: (query: PageQuery = { pageSize: 200 }) => get<Page & { mailboxes: Mailbox[] }>('/v1/mailboxes', query),
    get: (id: string) => get<Mailbox>(`/v1/mailboxes/${enc(id)}`),
    create: (input: MailboxInput) => post<Mailbox>('/v1/mailboxes', input),
    update: (id: string, input: MailboxInput) => patch<Mailbox>(`/v1/mailboxes/${enc(id)}`, input),
    remove: (id: string) => del(`/v1/mailboxes/${enc(id)}`),
    authorize: (id: string, side: Side) => post<{ url: string }>(`/v1/mailboxes/${enc(id)}/authorize`, { side }),
    reconnect: (id: string) => put<{ reconnect: boolean }>(`/v1/mailboxes/${enc(id)}/reconnect`),
    sampleMail: (id: string) => post<SampleMailResult>(`/v1/mailboxes/${enc(id)}/sample-mail`),
    fetchNow: (id: string) => post<FetchSummary>(`/v1/mailboxes/${enc(id)}/fetch`),
    testMail: (id: string, to: string) => post<TestMailResult>(`/v1/mailboxes/${enc(id)}/test-mail`, { to }),
    logs: (id: string, limit = 100) => get<{ entries: LogEntry[] }>(`/v1/mailboxes/${enc(id)}/logs`, { limit }),
  },

  requests: {
    list: (query: RequestQuery) => get<Page & { requests: RequestSummary[] }>('/v1/requests', query),
    get: (id: string) => get<RequestDetail>(`/v1/requests/${enc(id)}`),
    setStatus: (id: string, status: RequestStatus) => patch<RequestSummary>(`/v1/requests/${enc(id)}`, { status }),
    reply: (id: string, text: string) => post<{ messageId: string; status: string }>(`/v1/requests/${enc(id)}/reply`, { text }),
    attachment: (id: string, attachmentId: string) => requestBlob(`/v1/requests/${enc(id)}/attachments/${enc(attachmentId)}`),
  },

  quarantine: {
    list: (query: PageQuery) => get<Page & { messages: QuarantinedMail[] }>('/v1/quarantine', query),
    raw: (id: string) => requestBlob(`/v1/quarantine/${enc(id)}/raw`),
    retry: (id: string) => post<RetryResult>(`/v1/quarantine/${enc(id)}/retry`),
  },

  outbox: {
    list: (query: PageQuery & { status?: OutboxStatus }) => get<Page & { messages: OutboxMessage[] }>('/v1/outbox', query),
  },
};
