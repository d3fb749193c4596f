import type { BenchScenario } from './bench.types';
import { httpHealthScenario } from './http-health.bench';

/** Every benchmark scenario; `npm run bench -- <name>` runs a subset. */
export const SCENARIOS: BenchScenario[] = [httpHealthScenario];
