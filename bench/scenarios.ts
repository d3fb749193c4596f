import type { BenchScenario } from './bench.types';
import { fetchScenario } from './fetch.bench';
import { httpHealthScenario } from './http-health.bench';
import { ingestScenario } from './ingest.bench';
import { oauthTokenScenario } from './oauth-token.bench';
import { outboxScenario } from './outbox.bench';

/** Every benchmark scenario; `npm run bench -- <name>` runs a subset. */
export const SCENARIOS: BenchScenario[] = [httpHealthScenario, oauthTokenScenario, outboxScenario, fetchScenario, ingestScenario];
