import { keepPreviousData, QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { ApiError } from './client';
import { api } from './endpoints';
import type { OutboxStatus, PageQuery, RequestQuery } from './types';

/** Query keys in one place, so a mutation invalidates exactly what it changed. */
export const keys = {
  providers: ['providers'] as const,
  oauthApps: ['oauthApps'] as const,
  oauthApp: (id: string) => ['oauthApps', id] as const,
  mailboxes: ['mailboxes'] as const,
  mailbox: (id: string) => ['mailboxes', id] as const,
  logs: (id: string, limit: number) => ['mailboxes', id, 'logs', limit] as const,
  requests: ['requests'] as const,
  requestList: (query: RequestQuery) => ['requests', 'list', query] as const,
  request: (id: string) => ['requests', id] as const,
  quarantine: (query: PageQuery) => ['quarantine', query] as const,
  outbox: (query: PageQuery & { status?: OutboxStatus }) => ['outbox', query] as const,
};

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not change by asking again; network hiccups and 5xx get one more try.
        retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 1,
        refetchOnWindowFocus: true,
        staleTime: 2_000,
      },
      mutations: { retry: false },
    },
  });
}

export const useProviders = () => useQuery({ queryKey: keys.providers, queryFn: api.providers, staleTime: Infinity });
export const useOAuthApps = () => useQuery({ queryKey: keys.oauthApps, queryFn: () => api.oauthApps.list() });
export const useOAuthApp = (id: string | undefined) =>
  useQuery({ queryKey: keys.oauthApp(id ?? ''), queryFn: () => api.oauthApps.get(id!), enabled: Boolean(id) });

/** Mailbox states change on the server (scheduler, consent): lists and pages poll. */
export const useMailboxes = () => useQuery({ queryKey: keys.mailboxes, queryFn: () => api.mailboxes.list(), refetchInterval: 10_000 });
export const useMailbox = (id: string | undefined, refetchInterval: number | false = 5_000) =>
  useQuery({ queryKey: keys.mailbox(id ?? ''), queryFn: () => api.mailboxes.get(id!), enabled: Boolean(id), refetchInterval });

export const useMailboxLogs = (id: string, limit: number, autoRefresh: boolean) =>
  useQuery({ queryKey: keys.logs(id, limit), queryFn: () => api.mailboxes.logs(id, limit), refetchInterval: autoRefresh ? 3_000 : false });

export const useRequests = (query: RequestQuery) =>
  useQuery({ queryKey: keys.requestList(query), queryFn: () => api.requests.list(query), placeholderData: keepPreviousData, refetchInterval: 15_000 });
export const useRequest = (id: string | undefined) =>
  useQuery({ queryKey: keys.request(id ?? ''), queryFn: () => api.requests.get(id!), enabled: Boolean(id) });

export const useQuarantine = (query: PageQuery) =>
  useQuery({ queryKey: keys.quarantine(query), queryFn: () => api.quarantine.list(query), placeholderData: keepPreviousData });
export const useOutbox = (query: PageQuery & { status?: OutboxStatus }) =>
  useQuery({ queryKey: keys.outbox(query), queryFn: () => api.outbox.list(query), placeholderData: keepPreviousData, refetchInterval: 10_000 });

/** Refreshes a mailbox everywhere it is shown (its page, the list). */
export function useRefreshMailbox(): (id: string) => Promise<void> {
  const client = useQueryClient();
  return useCallback(
    async (id: string) => {
      await Promise.all([client.invalidateQueries({ queryKey: keys.mailbox(id) }), client.invalidateQueries({ queryKey: keys.mailboxes, exact: true })]);
    },
    [client],
  );
}
