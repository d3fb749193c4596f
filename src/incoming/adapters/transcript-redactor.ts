import type { TranscriptSink } from '../../core/net/connection-options';

export const REDACTED = '[redacted]';

/** Known secrets shorter than this are not scrubbed from free text: "pass" would mangle "+OK Password". */
const MIN_SCRUBBED_SECRET_LENGTH = 6;

/**
 * Redacts one client line of an IMAP or POP3 session. `inSasl` says whether we are inside
 * a SASL exchange (after AUTHENTICATE / AUTH and before the server's final answer): every
 * client line there is a SASL response (RFC 3501 §6.2.2, RFC 5034 §4) and carries
 * credentials, except the empty line and `*`, which cancel or answer an error challenge
 * (RFC 7628 §3.2.3).
 */
export function redactClientLine(line: string, inSasl: boolean): { line: string; inSasl: boolean } {
  if (inSasl) {
    return { line: line === '' || line === '*' ? line : REDACTED, inSasl };
  }
  // IMAP: `A1 LOGIN user pass` (RFC 3501 §6.2.3); keep the user, it helps diagnose typos.
  const login = /^(\S+\s+LOGIN\s+)("(?:[^"\\]|\\.)*"|[^\s"{]+)\s.*$/i.exec(line);
  if (login) return { line: `${login[1]}${login[2]} ${REDACTED}`, inSasl };
  const loginOther = /^(\S+\s+LOGIN)\s.*$/i.exec(line);
  if (loginOther) return { line: `${loginOther[1]} ${REDACTED}`, inSasl };
  // IMAP: `A2 AUTHENTICATE XOAUTH2 <initial response>` (RFC 4959 SASL-IR).
  const authenticate = /^(\S+\s+AUTHENTICATE\s+\S+)(\s+\S.*)?$/i.exec(line);
  if (authenticate) return { line: authenticate[1] + (authenticate[2] ? ` ${REDACTED}` : ''), inSasl: true };
  // POP3: `AUTH XOAUTH2 <initial response>` (RFC 5034); a bare `AUTH` only lists mechanisms.
  const auth = /^(AUTH\s+\S+)(\s+\S.*)?$/i.exec(line);
  if (auth) return { line: auth[1] + (auth[2] ? ` ${REDACTED}` : ''), inSasl: true };
  // POP3: `PASS secret` (RFC 1939 §7), `APOP user digest` (RFC 1939 §7).
  if (/^PASS(\s|$)/i.test(line)) return { line: `PASS ${REDACTED}`, inSasl };
  const apop = /^(APOP\s+\S+)\s.*$/i.exec(line);
  if (apop) return { line: `${apop[1]} ${REDACTED}`, inSasl };
  return { line, inSasl };
}

/**
 * Whether a server line ends a SASL exchange: anything but a continuation request
 * (`+ <challenge>` or a bare `+`) is the final answer (tagged OK/NO/BAD, +OK/-ERR).
 */
export function endsSaslExchange(line: string): boolean {
  return !/^\+(\s|$)/.test(line);
}

/**
 * Feeds a mailbox's debug transcript (design.md "debug: true") with AUTH payloads,
 * passwords and tokens replaced by `[redacted]`. One per connection: it tracks whether a
 * SASL exchange is under way.
 */
export class TranscriptRedactor {
  private inSasl = false;
  private readonly secrets = new Set<string>();

  constructor(private readonly sink: TranscriptSink | undefined) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  /** Known secret values (password, access token) scrubbed from any line, as a second line of defence. */
  addSecret(value: string | null | undefined): void {
    if (value && value.length >= MIN_SCRUBBED_SECRET_LENGTH) this.secrets.add(value);
  }

  client(line: string): void {
    if (!this.sink) return;
    const result = redactClientLine(line, this.inSasl);
    this.inSasl = result.inSasl;
    this.emit('client', result.line);
  }

  server(line: string): void {
    if (!this.sink) return;
    if (this.inSasl && endsSaslExchange(line)) this.inSasl = false;
    this.emit('server', line);
  }

  private emit(direction: 'client' | 'server', line: string): void {
    let text = line;
    for (const secret of this.secrets) text = text.split(secret).join(REDACTED);
    try {
      this.sink?.(direction, text);
    } catch {
      // A failing log sink must never break a fetch.
    }
  }
}
