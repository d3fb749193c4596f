import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ProtocolError } from '../../../core/errors';
import { withDeadline } from '../../../core/net/deadline';
import { RawMailBuffer } from '../raw-mail-buffer';
import type { MailBytes } from '../../../core/spool/spooled-bytes';
import type { TranscriptRedactor } from '../transcript-redactor';

/** A `-ERR` (or otherwise unexpected) answer; `command` is the verb we sent, `response` the line. */
export class Pop3ResponseError extends Error {
  constructor(
    readonly command: string,
    readonly response: string,
  ) {
    super(`${command}: ${response}`);
  }
}

/** The server closed the connection while we were waiting for an answer. */
export class Pop3ClosedError extends Error {
  readonly code = 'POP3_CLOSED';
}

export interface Pop3ClientOptions {
  host: string;
  port: number;
  /** TLS from the first byte (pops, RFC 8314) or plain text, possibly upgraded with STLS later. */
  implicitTls: boolean;
  tls: ConnectionOptions;
  connectMs: number;
  commandMs: number;
  redactor: TranscriptRedactor;
  /** A message larger than this goes to a spool file instead of memory. */
  spoolAboveBytes?: number;
}

/** Status lines and message lines longer than this are a broken (or hostile) server. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CRLF = Buffer.from('\r\n');

/**
 * A small POP3 client (RFC 1939) over net/tls: one command at a time, single-line answers
 * (`+OK` / `-ERR`), multi-line answers ending in a lone "." with dot-unstuffing (§3),
 * CAPA (RFC 2449), STLS (RFC 2595) and SASL AUTH with the OAuth mechanisms (RFC 5034,
 * RFC 7628). node-pop3 can do neither STLS nor AUTH and reads the OAuth error challenge
 * as success (test-env.md §4), hence our own.
 */
export class Pop3Client {
  private socket: Socket | TLSSocket | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private readonly lines: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly options: Pop3ClientOptions) {}

  get connected(): boolean {
    return this.socket !== null && !this.failure;
  }

  /** Opens the connection and reads the greeting, both within the connect deadline. */
  async connect(): Promise<string> {
    const { host, port, implicitTls, tls, connectMs } = this.options;
    const socket = implicitTls ? tlsConnect({ host, port, ...tls }) : netConnect({ host, port });
    this.attach(socket);
    const opened = new Promise<void>((resolve, reject) => {
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const greeting = await withDeadline(
      opened.then(() => this.readLine()),
      connectMs,
      `no answer from ${host}:${port}`,
      () => this.destroy(),
    );
    this.options.redactor.server(greeting);
    if (!greeting.startsWith('+OK')) throw new Pop3ResponseError('greeting', greeting);
    return greeting;
  }

  /** CAPA (RFC 2449); a server without it answers -ERR: no capabilities known. */
  async capabilities(): Promise<Map<string, string[]>> {
    const capabilities = new Map<string, string[]>();
    try {
      for (const line of await this.multiLine('CAPA', this.options.commandMs, true)) {
        const [name, ...args] = line.toString('latin1').trim().split(/\s+/);
        if (name) capabilities.set(name.toUpperCase(), args.map((arg) => arg.toUpperCase()));
      }
    } catch (err) {
      if (!(err instanceof Pop3ResponseError)) throw err;
    }
    return capabilities;
  }

  /** STLS (RFC 2595 §4): upgrade in place; the caller must forget the old capabilities. */
  async startTls(): Promise<void> {
    await this.command('STLS');
    // Anything the server sent after +OK and before the handshake was injected by someone
    // on the path (the same attack as CVE-2011-0411 for SMTP): refuse it.
    if (this.lines.length || this.pending.length) throw new ProtocolError(`${this.where} sent data before the TLS handshake`);
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    const secure = tlsConnect({ socket: raw, ...this.options.tls });
    this.attach(secure);
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', () => resolve());
        secure.once('error', reject);
      }),
      this.options.connectMs,
      `no TLS handshake with ${this.where}`,
      () => this.destroy(),
    );
  }

  /** One command with a single-line answer; -ERR throws Pop3ResponseError. */
  async command(line: string): Promise<string> {
    const answer = await this.send(line, this.options.commandMs);
    if (!answer.startsWith('+OK')) throw new Pop3ResponseError(verbOf(line), answer);
    return answer;
  }

  /**
   * One command with a multi-line answer: the lines, dot-unstuffed, without the final ".".
   * The transcript gets the lines themselves only when `logLines` (CAPA); listings are
   * summarised, they are long.
   */
  async multiLine(line: string, deadlineMs = this.options.commandMs, logLines = false): Promise<Buffer[]> {
    return this.readMultiLine(line, deadlineMs, async () => {
      const body: Buffer[] = [];
      await this.readBody((bodyLine) => body.push(bodyLine));
      if (logLines) for (const bodyLine of body) this.options.redactor.server(bodyLine.toString('latin1'));
      else this.summarise(body.length);
      return body;
    });
  }

  /**
   * A multi-line answer as one message: lines joined with CRLF, as RFC 5322 wants them,
   * copied into one buffer as they arrive (`expectedBytes`: the LIST size, RFC 1939 §5), so
   * a large mail is never held as a list of lines plus their concatenation. A message is not
   * protocol: the transcript gets its line count.
   */
  async message(line: string, deadlineMs: number, expectedBytes = 0): Promise<MailBytes> {
    return this.readMultiLine(line, deadlineMs, async () => {
      const raw = new RawMailBuffer(expectedBytes, this.options.spoolAboveBytes);
      try {
        this.summarise(
          await this.readBody((bodyLine) => {
            raw.append(bodyLine);
            raw.append(CRLF);
          }),
        );
      } catch (error) {
        raw.discard();
        throw error;
      }
      return raw.toBytes();
    });
  }

  /**
   * SASL AUTH (RFC 5034) with an initial response. Returns when the server said +OK; a
   * `+ <challenge>` after the response is an error report (RFC 7628 §3.2.2): answer it
   * with `cancel` so the server sends its -ERR, then throw.
   */
  async authenticate(mechanism: string, initialResponse: string, cancel: string): Promise<void> {
    // RFC 5034 §4: a command line with the initial response must fit in 255 octets;
    // otherwise send it after the server's empty challenge.
    const inline = `AUTH ${mechanism} ${initialResponse}`;
    let answer: string;
    if (inline.length + 2 <= 255) {
      answer = await this.send(inline, this.options.commandMs);
    } else {
      answer = await this.send(`AUTH ${mechanism}`, this.options.commandMs);
      if (answer.startsWith('+ ') || answer === '+') answer = await this.send(initialResponse, this.options.commandMs);
    }
    if (answer.startsWith('+ ') || answer === '+') {
      const challenge = answer.slice(2).trim();
      answer = await this.send(cancel, this.options.commandMs);
      if (challenge) answer = `${answer} (${decodeChallenge(challenge)})`;
    }
    if (!answer.startsWith('+OK')) throw new Pop3ResponseError('AUTH', answer);
  }

  /** QUIT: enters the UPDATE state (RFC 1939 §6), where DELEs take effect; then closes. */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    const socket = this.socket;
    this.socket = null;
    this.fail(new Pop3ClosedError(`${this.where} connection closed`));
    socket?.destroy();
  }

  private get where(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private async send(line: string, deadlineMs: number | null): Promise<string> {
    const socket = this.socket;
    if (!socket || this.failure) throw this.failure ?? new Pop3ClosedError(`${this.where} connection closed`);
    this.options.redactor.client(line);
    socket.write(`${line}\r\n`);
    const answer = deadlineMs === null ? this.readLine() : withDeadline(this.readLine(), deadlineMs, `no answer from ${this.where} to ${verbOf(line)}`, () => this.destroy());
    const text = await answer;
    this.options.redactor.server(text);
    return text;
  }

  /** Sends `line`, expects +OK, reads the body with `read`, all within `deadlineMs`. */
  private readMultiLine<T>(line: string, deadlineMs: number, read: () => Promise<T>): Promise<T> {
    const work = (async () => {
      const status = await this.send(line, null);
      if (!status.startsWith('+OK')) throw new Pop3ResponseError(verbOf(line), status);
      return read();
    })();
    return withDeadline(work, deadlineMs, `no answer from ${this.where} to ${verbOf(line)}`, () => this.destroy());
  }

  /** The lines of a multi-line answer up to the lone ".", dot-unstuffed; returns how many. */
  private async readBody(onLine: (line: Buffer) => void): Promise<number> {
    let count = 0;
    for (;;) {
      // Lines already received are taken without a round through the event loop each.
      const next = this.lines.shift() ?? (await this.readRawLine());
      if (next.length === 1 && next[0] === 0x2e) return count;
      // RFC 1939 §3: a line that begins with "." has another "." prepended ("byte-stuffed").
      onLine(next[0] === 0x2e ? next.subarray(1) : next);
      count++;
    }
  }

  private summarise(lines: number): void {
    this.options.redactor.server(`(${lines} ${lines === 1 ? 'line' : 'lines'})`);
    this.options.redactor.server('.');
  }

  private async readLine(): Promise<string> {
    return (await this.readRawLine()).toString('utf8');
  }

  private async readRawLine(): Promise<Buffer> {
    for (;;) {
      const line = this.lines.shift();
      if (line) return line;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Pop3ClosedError(`${this.where} closed the connection`)));
  }

  /** Splits what arrives into lines (CRLF, or a bare LF from sloppy servers). */
  private receive(chunk: Buffer): void {
    let data: Buffer = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let newline: number;
    while ((newline = data.indexOf(0x0a)) !== -1) {
      const end = newline > 0 && data[newline - 1] === 0x0d ? newline - 1 : newline;
      this.lines.push(data.subarray(0, end));
      data = data.subarray(newline + 1);
    }
    this.pending = data;
    if (this.pending.length > MAX_LINE_BYTES) this.fail(new ProtocolError(`${this.where} sent a line longer than 64 MiB`));
    this.wake();
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

function verbOf(line: string): string {
  return line.split(' ', 1)[0].toUpperCase();
}

/** OAuth error challenges are base64 JSON (`{"status":"401",...}`, RFC 7628 §3.2.2). */
function decodeChallenge(challenge: string): string {
  const decoded = Buffer.from(challenge, 'base64').toString('utf8');
  return /^[\x20-\x7e]+$/.test(decoded) ? decoded : challenge;
}
