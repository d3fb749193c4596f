// Helpers of the requests integration tests (requests-*.test.ts): a helpdesk mailbox on the
// test Dovecot, fetching through the real fetch path, and reading what became of each mail.
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createMailUser, deliver } from '../support/dovecot';
import { testEnv } from '../support/env';
import type { ApiClient } from '../support/service';

export interface HelpdeskMailbox {
  id: string;
  user: string;
  password: string;
  body: any;
}

export interface HelpdeskOptions {
  prefix?: string;
  emailAddresses?: string[];
  incoming?: Record<string, unknown>;
  outgoing?: Record<string, unknown> | null;
}

/**
 * A mailbox reading a fresh Dovecot user over IMAPS, acknowledging new requests (queued
 * only: the tests run without the outbox sender), already past its first fetch, so mail
 * delivered from now on is "new" (acknowledged) rather than "imported".
 */
export async function helpdeskMailbox(api: ApiClient, options: HelpdeskOptions = {}): Promise<HelpdeskMailbox> {
  const { email, password } = await createMailUser(options.prefix ?? 'requests');
  const env = testEnv();
  const emailAddresses = options.emailAddresses ?? [email];
  const body: Record<string, unknown> = {
    name: `Helpdesk ${email}`,
    emailAddresses,
    incoming: {
      protocol: 'imaps',
      authType: 'password',
      host: '127.0.0.1',
      port: env.dovecot.imapsPort,
      username: email,
      password,
      caCertificate: env.caCert,
      importExisting: 'all',
      ...options.incoming,
    },
  };
  if (options.outgoing !== null) {
    body.outgoing = {
      protocol: 'smtp',
      authType: 'none',
      host: '127.0.0.1',
      port: env.smtp.starttlsPort,
      tls: true,
      caCertificate: env.caCert,
      senderName: 'Example Support',
      senderAddress: emailAddresses[0],
      acknowledge: true,
      ...options.outgoing,
    };
  }
  const created = await api.post('/v1/mailboxes', body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const mailbox = { id: created.body.id as string, user: email, password, body: created.body };
  await fetchNow(api, mailbox);
  return mailbox;
}

export interface FetchSummary {
  fetched: number;
  created: number;
  appended: number;
  skipped: number;
  quarantined: number;
}

/** `POST /v1/mailboxes/:id/fetch`: the real fetch path (IMAP → pipeline → ledger → \Seen). */
export async function fetchNow(api: ApiClient, mailbox: { id: string }): Promise<FetchSummary> {
  const response = await api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

export async function deliverAll(mailbox: HelpdeskMailbox, mails: Array<Buffer | string>): Promise<number[]> {
  const uids: number[] = [];
  for (const mail of mails) uids.push(await deliver(mailbox.user, mail));
  return uids;
}

/** The ledger row of each delivered UID (IMAP server ids are `uidValidity:uid`). */
export async function ledgerByUid(api: ApiClient, mailbox: { id: string }): Promise<Map<number, any>> {
  const ledger = await api.get(`/v1/mailboxes/${mailbox.id}/ledger?pageSize=200`);
  assert.equal(ledger.status, 200, JSON.stringify(ledger.body));
  return new Map(ledger.body.entries.map((entry: any) => [Number(String(entry.serverId).split(':').pop()), entry]));
}

export async function requestDetail(api: ApiClient, id: string): Promise<any> {
  const response = await api.get(`/v1/requests/${id}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

export async function quarantineOf(api: ApiClient, mailbox: { id: string }): Promise<any[]> {
  const response = await api.get(`/v1/quarantine?mailbox=${mailbox.id}&pageSize=200`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.messages;
}

/** One SQL statement on the service's PostgreSQL database, for what the API does not show (blob sharing). */
export async function sql<T = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A small CRLF mail; `headers` add or override. */
export function mail(options: { from: string; subject: string; body?: string; messageId?: string | null; headers?: Record<string, string> }): Buffer {
  const headers: Record<string, string> = {
    From: options.from,
    To: 'support@helpdesk.example.com',
    Subject: options.subject,
    Date: new Date().toUTCString().replace('GMT', '+0000'),
    ...(options.messageId === null ? {} : { 'Message-ID': options.messageId ?? `<${Math.random().toString(36).slice(2)}.${Date.now()}@example.org>` }),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...options.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${(options.body ?? 'Hello.').replace(/\r?\n/g, '\r\n')}\r\n`);
}

export function messageIdOf(raw: Buffer): string {
  return /^Message-ID:\s*<([^>]+)>/im.exec(raw.toString('latin1'))![1];
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
