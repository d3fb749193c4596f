import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { TimeoutError } from '../../../core/errors';
import { TranscriptRedactor } from '../transcript-redactor';
import { Pop3Client, Pop3ResponseError } from './pop3.client';

/** A scripted POP3 server: answers each command from `script`, one byte per write to test line splitting. */
function fakeServer(script: Record<string, string>, greeting = '+OK ready\r\n'): Promise<Server> {
  const server = createServer((socket: Socket) => {
    const send = async (text: string) => {
      for (const byte of Buffer.from(text)) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    void send(greeting);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n')) !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const answer = script[line];
        if (answer !== undefined) void send(answer);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

async function clientFor(script: Record<string, string>, lines: string[] = [], commandMs = 2000): Promise<Pop3Client> {
  const server = await fakeServer(script);
  servers.push(server);
  const client = new Pop3Client({
    host: '127.0.0.1',
    port: (server.address() as { port: number }).port,
    implicitTls: false,
    tls: {},
    connectMs: 2000,
    commandMs,
    redactor: new TranscriptRedactor((direction, line) => lines.push(`${direction}: ${line}`)),
  });
  await client.connect();
  return client;
}

describe('Pop3Client', () => {
  it('dot-unstuffs a message split across many small packets, and keeps CRLF line ends', async () => {
    const client = await clientFor({ 'RETR 1': '+OK 40 octets\r\nSubject: x\r\n\r\n..leading dot\r\n..\r\nend\r\n.\r\n' });
    const raw = await client.message('RETR 1', 2000);
    assert.equal(raw.toString(), 'Subject: x\r\n\r\n.leading dot\r\n.\r\nend\r\n');
    client.destroy();
  });

  it('reads a message into one buffer of the LIST size, and writes only its line count to the transcript', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? `.line ${i} starts with a dot` : `line ${i} of the body`));
    const mail = `Subject: big\r\n\r\n${lines.join('\r\n')}\r\n`;
    const stuffed = mail.replace(/^\./gm, '..');
    const transcript: string[] = [];
    const client = await clientFor({ 'RETR 2': `+OK ${mail.length} octets\r\n${stuffed}.\r\n` }, transcript);
    const raw = (await client.message('RETR 2', 5000, Buffer.byteLength(mail))) as Buffer;
    assert.equal(raw.toString(), mail);
    assert.equal(raw.byteLength, raw.buffer.byteLength, 'exactly the announced size, no copy');
    assert.ok(raw.buffer instanceof SharedArrayBuffer, 'shared with a parse worker without a copy');
    assert.deepEqual(transcript.slice(-4), ['client: RETR 2', `server: +OK ${mail.length} octets`, 'server: (202 lines)', 'server: .']);
    client.destroy();
  });

  it('reads capabilities, upper-cased, with their arguments', async () => {
    const client = await clientFor({ CAPA: '+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN xoauth2\r\nSTLS\r\n.\r\n' });
    const capabilities = await client.capabilities();
    assert.deepEqual([...capabilities.keys()], ['TOP', 'UIDL', 'SASL', 'STLS']);
    assert.deepEqual(capabilities.get('SASL'), ['PLAIN', 'XOAUTH2']);
    client.destroy();
  });

  it('treats a server without CAPA as one without capabilities', async () => {
    const client = await clientFor({ CAPA: '-ERR unknown command\r\n' });
    assert.equal((await client.capabilities()).size, 0);
    client.destroy();
  });

  it('throws the -ERR line with the command that got it', async () => {
    const client = await clientFor({ 'DELE 9': '-ERR no such message\r\n' });
    await assert.rejects(client.command('DELE 9'), (err: unknown) => {
      assert.ok(err instanceof Pop3ResponseError);
      assert.equal(err.command, 'DELE');
      assert.equal(err.response, '-ERR no such message');
      return true;
    });
    client.destroy();
  });

  it('answers an OAuth error challenge with the cancel line and reports the decoded reason', async () => {
    const challenge = Buffer.from('{"status":"invalid_token"}').toString('base64');
    const lines: string[] = [];
    const client = await clientFor({ 'AUTH XOAUTH2 dG9rZW4=': `+ ${challenge}\r\n`, '': '-ERR [AUTH] Authentication failed.\r\n' }, lines);
    await assert.rejects(client.authenticate('XOAUTH2', 'dG9rZW4=', ''), (err: unknown) => {
      assert.ok(err instanceof Pop3ResponseError);
      assert.equal(err.response, '-ERR [AUTH] Authentication failed. ({"status":"invalid_token"})');
      return true;
    });
    assert.deepEqual(lines.slice(-4), [
      'client: AUTH XOAUTH2 [redacted]',
      `server: + ${challenge}`,
      'client: ',
      'server: -ERR [AUTH] Authentication failed.',
    ]);
    client.destroy();
  });

  it('sends a long initial response after the empty challenge (RFC 5034 §4: 255 octets)', async () => {
    const long = 'x'.repeat(300);
    const lines: string[] = [];
    const client = await clientFor({ 'AUTH XOAUTH2': '+ \r\n', [long]: '+OK Logged in.\r\n' }, lines);
    await client.authenticate('XOAUTH2', long, '');
    assert.deepEqual(lines.slice(-4), ['client: AUTH XOAUTH2', 'server: + ', 'client: [redacted]', 'server: +OK Logged in.']);
    client.destroy();
  });

  it('gives up on a command the server never answers, within the command deadline', async () => {
    const client = await clientFor({}, [], 100);
    await assert.rejects(client.command('STAT'), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, /^no answer from 127\.0\.0\.1:\d+ to STAT within 0\.1 s$/);
      return true;
    });
    assert.equal(client.connected, false);
  });
});
