import { uniqueId } from './tmp';

/** An unfolded header of a raw message's head (first occurrence), '' if absent. */
export function headerValue(raw: Buffer | string, name: string): string {
  const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : raw;
  const crlf = text.indexOf('\r\n\r\n');
  const end = crlf !== -1 ? crlf : text.indexOf('\n\n');
  const head = text.slice(0, end === -1 ? text.length : end).replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
}

export interface TestMailOptions {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  /** Default: a fresh unique id. */
  messageId?: string;
  /** Extra header lines, e.g. { 'In-Reply-To': '<x@y>' }. */
  headers?: Record<string, string>;
}

/** A small RFC 5322 message with CRLF line ends, and its Message-ID. */
export function buildTestMail(options: TestMailOptions = {}): { raw: string; messageId: string } {
  const messageId = options.messageId ?? `<${uniqueId('mail-')}@example.test>`;
  const headers: Record<string, string> = {
    From: options.from ?? 'sender@example.test',
    To: options.to ?? 'helpdesk@example.test',
    Subject: options.subject ?? 'Test mail',
    Date: new Date().toUTCString().replace('GMT', '+0000'),
    'Message-ID': messageId,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    ...options.headers,
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n');
  const body = (options.body ?? 'Hello from the test.').replace(/\r?\n/g, '\r\n');
  return { raw: `${head}\r\n\r\n${body}\r\n`, messageId };
}

/** A ~3 MB mail of plain 76-character lines: above a 1 MiB spool threshold, cheap to compare. */
export function threeMegabyteMail(): { raw: string; messageId: string } {
  return buildTestMail({ subject: 'a 3 MB mail', body: Array.from({ length: 40_000 }, (_, i) => `line ${i} `.padEnd(76, 'x')).join('\r\n') });
}
