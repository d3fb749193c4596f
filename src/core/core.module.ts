import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { API_TOKEN, ApiTokenGuard } from './auth/api-token.guard';
import { APP_CONFIG } from './config/app-config';
import { SecretBox } from './crypto/secret-box';
import { Database } from './database/database';
import { ErrorFilter } from './errors/error.filter';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { LOGGER } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import type { Runtime } from './runtime';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

/** Config, secrets, database, auth, errors, health and metrics: what every module may inject. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: Runtime): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: runtime.config },
      { provide: LOGGER, useValue: runtime.logger },
      { provide: SecretBox, useValue: runtime.secretBox },
      { provide: API_TOKEN, useValue: runtime.apiToken },
      { provide: Database, useValue: runtime.database },
      { provide: DATA_SOURCE, useValue: runtime.database.dataSource as DataSource },
      { provide: Metrics, useValue: runtime.metrics },
      HealthService,
    ];
    return {
      module: CoreModule,
      controllers: [HealthController, MetricsController],
      providers: [...providers, { provide: APP_GUARD, useClass: ApiTokenGuard }, { provide: APP_FILTER, useClass: ErrorFilter }],
      exports: [APP_CONFIG, LOGGER, SecretBox, Database, DATA_SOURCE, Metrics, HealthService],
    };
  }
}
