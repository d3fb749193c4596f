import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestService } from '../test/support/service';
import type { BenchScenario } from './bench.types';
import { httpLoad, round } from './load';

/**
 * The framework's own cost: GET /health of the real service (auth-free route, one
 * `SELECT 1`) next to a bare node:http server answering the same JSON, in the same run.
 * Later scenarios compare their routes with /health.
 */
export const httpHealthScenario: BenchScenario = {
  name: 'http-health',
  description: 'GET /health throughput at 50 concurrent clients vs a bare node:http server',
  async run() {
    const bare = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok","database":"up"}');
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    const sut = await startTestService({ env: { LOG_LEVEL: 'warn', DESKMAIL_HEALTH_WARNINGS_TTL_MS: '10000' } });
    try {
      const options = { concurrency: 50, durationMs: 5_000 };
      await httpLoad(`${sut.url}/health`, { ...options, durationMs: 1_000 }); // warm-up
      const health = await httpLoad(`${sut.url}/health`, options);
      const baseline = await httpLoad(bareUrl, options);
      return {
        scenario: 'http-health',
        figures: { 'GET /health req/s': health.perSecond, 'p99 ms': health.p99Ms, errors: health.errors },
        baseline: { 'bare node:http req/s': baseline.perSecond, 'p99 ms': baseline.p99Ms },
        ratios: { '/health ÷ bare node:http': { value: round(health.perSecond / baseline.perSecond) } },
      };
    } finally {
      await sut.close();
      bare.close();
    }
  },
};
