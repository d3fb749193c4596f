import { connect as tlsConnect, type TLSSocket } from 'node:tls';

import { testEnv, type DovecotCoordinates } from './env';

/**
 * A minimal POP3S client (RFC 1939 + RFC 5034 AUTH) for checking logins. Enough for the harness;
 * the service has its own POP3 adapter. node-pop3 has no AUTH support, hence this.
 */
export class Pop3TestClient {
  private buffer = '';
  private waiting?: { resolve: (line: string) => void; reject: (error: Error) => void };

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString('latin1');
      this.flush();
    });
    const abort = (error?: Error) => {
      this.waiting?.reject(error ?? new Error('POP3 connection closed'));
      this.waiting = undefined;
    };
    socket.on('error', abort);
    socket.on('close', () => abort());
  }

  static async connect(options: { ca?: string; dovecot?: Pick<DovecotCoordinates, 'host' | 'pop3sPort' | 'caCert'> } = {}): Promise<Pop3TestClient> {
    const dovecot = options.dovecot ?? testEnv().dovecot;
    const socket = tlsConnect({ host: dovecot.host, port: dovecot.pop3sPort, ca: options.ca ?? dovecot.caCert, servername: 'localhost' });
    socket.setTimeout(10_000, () => socket.destroy(new Error('POP3 timeout')));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = new Pop3TestClient(socket);
    const greeting = await client.readLine();
    if (!greeting.startsWith('+OK')) throw new Error(`POP3 greeting: ${greeting}`);
    return client;
  }

  /** Sends one line and returns the one-line response (+OK / -ERR / "+ " challenge). */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.readLine();
  }

  /** USER/PASS; true when logged in. */
  async loginWithPassword(user: string, password: string): Promise<boolean> {
    if (!(await this.command(`USER ${user}`)).startsWith('+OK')) return false;
    return (await this.command(`PASS ${password}`)).startsWith('+OK');
  }

  /** SASL XOAUTH2 (or OAUTHBEARER); a failure arrives as a "+ <json>" challenge answered empty. */
  async loginWithToken(user: string, accessToken: string, mechanism: 'XOAUTH2' | 'OAUTHBEARER' = 'XOAUTH2'): Promise<boolean> {
    const payload = mechanism === 'XOAUTH2' ? `user=${user}\x01auth=Bearer ${accessToken}\x01\x01` : `n,a=${user},\x01auth=Bearer ${accessToken}\x01\x01`;
    let response = await this.command(`AUTH ${mechanism} ${Buffer.from(payload).toString('base64')}`);
    if (response.startsWith('+ ')) response = await this.command('');
    return response.startsWith('+OK');
  }

  async quit(): Promise<void> {
    await this.command('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  private readLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.flush();
    });
  }

  private flush(): void {
    const end = this.buffer.indexOf('\r\n');
    if (end === -1 || !this.waiting) return;
    const line = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 2);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(line);
  }
}
