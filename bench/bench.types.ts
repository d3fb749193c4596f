import type { TestEnv } from '../test/support/env';

/** What a scenario measured: our figures, the baseline measured in the same run, and their ratios. */
export interface BenchResult {
  scenario: string;
  figures: Record<string, number | string>;
  baseline: Record<string, number | string>;
  /** e.g. `{ "throughput vs /health": 0.83 }`, with the target each is held to. */
  ratios: Record<string, { value: number; target?: string }>;
  notes?: string[];
}

export interface BenchContext {
  env: TestEnv;
  /** Scratch directory for this run. */
  dir: string;
}

export interface BenchScenario {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchResult>;
}
