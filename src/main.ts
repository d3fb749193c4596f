// First, before the modules it is about are loaded (see v8-heap.ts).
import { keepYoungGenerationSmall } from './core/config/v8-heap';
keepYoungGenerationSmall();

import { ConfigError } from './core/config/app-config';
import { startService } from './bootstrap';

/** `npm start`: one service process, configured from the environment. */
async function main(): Promise<void> {
  const service = await startService();
  const { config, url, apiTokenFile } = service;
  const lines = [`deskmail is listening on ${url}`, `  API docs:  ${url}/docs`];
  lines.push(config.databaseUrl ? `  database:  PostgreSQL (DATABASE_URL)` : `  database:  embedded, in ${config.dataDir}/pglite`);
  lines.push(`  data dir:  ${config.dataDir}`);
  if (apiTokenFile?.created) lines.push(`  API token: ${service.apiToken}   (generated now, shown once; kept in ${apiTokenFile.path})`);
  else if (apiTokenFile) lines.push(`  API token: in ${apiTokenFile.path}`);
  else lines.push('  API token: from DESKMAIL_API_TOKEN');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  // A configuration mistake is one line naming the variable, not a stack trace.
  const message = error instanceof ConfigError ? error.message : `deskmail could not start: ${(error as Error)?.message ?? error}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
