/**
 * `npm run bench [-- name ...]`: starts the shared test servers once (the same harness as
 * `npm test`), runs each scenario, and prints its figures next to the baseline measured in
 * the same run, as a table and as JSON in bench/results/<scenario>.json, with the
 * machine's load so figures from a busy machine can be read as such.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ENV_VARIABLE } from '../test/support/env';
import { startTestEnvironment } from '../test/support/harness';
import { makeTempDir, removeDir } from '../test/support/tmp';
import type { BenchResult } from './bench.types';
import { SCENARIOS } from './scenarios';

const RESULTS_DIR = path.resolve(__dirname, '../../bench/results');

function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

function print(result: BenchResult, load: ReturnType<typeof machine>): void {
  const rows: Array<[string, string, string]> = [];
  for (const [k, v] of Object.entries(result.figures)) rows.push(['ours', k, String(v)]);
  for (const [k, v] of Object.entries(result.baseline)) rows.push(['baseline', k, String(v)]);
  for (const [k, v] of Object.entries(result.ratios)) rows.push(['ratio', k, `${v.value}${v.target ? `  (target ${v.target})` : ''}`]);
  const width = Math.max(...rows.map((r) => r[1].length));
  process.stdout.write(`\n## ${result.scenario}   (load ${load.loadAverage.join(' ')} on ${load.cpus} cores)\n`);
  for (const [kind, key, value] of rows) process.stdout.write(`  ${kind.padEnd(8)}  ${key.padEnd(width)}  ${value}\n`);
  for (const note of result.notes ?? []) process.stdout.write(`  note: ${note}\n`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenarios = wanted.length ? SCENARIOS.filter((s) => wanted.some((w) => s.name.includes(w))) : SCENARIOS;
  if (scenarios.length === 0) throw new Error(`no scenario matches ${wanted.join(' ')}; have: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const dir = makeTempDir('deskmail-bench-');
  const environment = await startTestEnvironment(dir, `bench${Date.now().toString(36)}`);
  process.env[TEST_ENV_VARIABLE] = environment.envPath;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  let failed = 0;
  try {
    for (const scenario of scenarios) {
      process.stdout.write(`running ${scenario.name}: ${scenario.description}\n`);
      const before = machine();
      try {
        const result = await scenario.run({ env: environment.env, dir });
        const load = machine();
        print(result, load);
        const json = { ...result, machine: { ...load, loadAverageBefore: before.loadAverage }, at: new Date().toISOString() };
        fs.writeFileSync(path.join(RESULTS_DIR, `${scenario.name}.json`), JSON.stringify(json, null, 2) + '\n');
        process.stdout.write(JSON.stringify(json) + '\n');
      } catch (error) {
        failed++;
        process.stderr.write(`scenario ${scenario.name} failed: ${(error as Error).stack ?? error}\n`);
      }
    }
  } finally {
    await environment.stop();
    removeDir(dir);
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
