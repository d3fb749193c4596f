// HttpsClient (incoming/adapters/ews/https-exchange.ts) streaming a body into a sink, against
// a real HTTPS server on loopback with the test CA.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpsClient, type BodySink } from '../../src/incoming/adapters/ews/https-exchange';
import { testEnv } from '../support/env';

const env = testEnv();
const BODY = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i} `).join(''));

/** A sink that records what happened to it. */
function recordingSink(): BodySink & { received: Buffer[]; discarded: boolean } {
  const sink = {
    received: [] as Buffer[],
    discarded: false,
    append: (chunk: Uint8Array) => void sink.received.push(Buffer.from(chunk)),
    toBytes: () => Buffer.concat(sink.received),
    discard: () => void (sink.discarded = true),
  };
  return sink;
}

describe('HttpsClient with a body sink', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer({ cert: env.trustedCert.cert, key: env.trustedCert.key }, (req, res) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        return res.end(gzipSync(BODY));
      }
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': String(BODY.length) });
        res.write(BODY.subarray(0, 50_000));
        return setTimeout(() => res.socket?.destroy(), 20);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"ErrorItemNotFound"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new HttpsClient({ caCertificate: env.caCert, connectMs: 5_000, commandMs: 5_000 });

  it('hands a 200 body to the sink as it arrives, decompressed, and answers it as raw', async () => {
    const sink = recordingSink();
    const http = client();
    try {
      const answer = await http.send({ method: 'GET', url: new URL(`${url}/gzip`), headers: { 'accept-encoding': 'gzip' }, what: 'GET gzip', bodySink: () => sink });
      assert.equal(answer.body.length, 0);
      assert.ok(Buffer.isBuffer(answer.raw) && answer.raw.equals(BODY));
      assert.ok(sink.received.length > 1, 'in pieces, not whole');
    } finally {
      http.close();
    }
  });

  it('keeps an answer the sink does not want (an error) in memory as before', async () => {
    const http = client();
    try {
      const answer = await http.send({ method: 'GET', url: new URL(`${url}/missing`), headers: {}, what: 'GET missing', bodySink: (status) => (status === 200 ? recordingSink() : null) });
      assert.equal(answer.status, 404);
      assert.match(answer.body.toString(), /ErrorItemNotFound/);
      assert.equal(answer.raw, undefined);
    } finally {
      http.close();
    }
  });

  it('fails the download, not the process, when the sink cannot take a piece (a spool file on a full disk)', async () => {
    const sink = recordingSink();
    sink.append = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const http = client();
    try {
      await assert.rejects(http.send({ method: 'GET', url: new URL(`${url}/gzip`), headers: { 'accept-encoding': 'gzip' }, what: 'GET gzip', bodySink: () => sink }), /ENOSPC/);
      assert.equal(sink.discarded, true);
    } finally {
      http.close();
    }
  });

  it('discards what the sink took when the server hangs up half way, and fails with the socket\'s error', async () => {
    const sink = recordingSink();
    const http = client();
    try {
      // The error keeps its code: the adapters' error mappers turn ECONNRESET into CONNECTION_FAILED.
      await assert.rejects(
        http.send({ method: 'GET', url: new URL(`${url}/cut`), headers: {}, what: 'GET cut', bodySink: () => sink }),
        (error: NodeJS.ErrnoException) => error.code === 'ECONNRESET' || /closed the connection before the answer was complete/.test(error.message),
      );
      assert.equal(sink.discarded, true);
    } finally {
      http.close();
    }
  });
});
