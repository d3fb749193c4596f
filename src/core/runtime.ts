import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config';
import type { SecretBox } from './crypto/secret-box';
import type { Database } from './database/database';
import type { Metrics } from './metrics/metrics';

/**
 * What bootstrap prepares before Nest starts (the config, the key, the token, a migrated
 * database) and hands to the module tree as ready-made providers.
 */
export interface Runtime {
  config: AppConfig;
  logger: Logger;
  secretBox: SecretBox;
  apiToken: string;
  database: Database;
  metrics: Metrics;
}
