import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { json, type NextFunction, type Request, type Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { MIGRATIONS } from '../migrations';
import { AppModule } from './app.module';
import { ENTITIES } from './app.entities';
import { type AppConfig, loadConfig } from './core/config/app-config';
import { ensureDataDir, randomToken, readOrCreateSecretFile } from './core/config/data-dir';
import { SecretBox } from './core/crypto/secret-box';
import { createDataSource, createEmbeddedDatabase, embeddedDataDir } from './core/database/data-source.factory';
import { Database } from './core/database/database';
import { runMigrations } from './core/database/migrate';
import { createValidationPipe } from './core/errors/validation.pipe';
import { createLogger, NestPinoLogger } from './core/logging/logger';
import { Metrics } from './core/metrics/metrics';
import type { Runtime } from './core/runtime';

export interface RunningService {
  app: INestApplication;
  config: AppConfig;
  url: string;
  apiToken: string;
  /** Set when this start generated the API token (it is shown once). */
  apiTokenFile: { path: string; created: boolean } | null;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where JSON log lines go (tests capture them to prove no secret is logged). */
  logDestination?: import('pino').DestinationStream;
}

/**
 * Starts one service process: validated config, data dir files, a migrated database,
 * the Nest app with its global pipe/guard/filter, OpenAPI at /docs. Shared by `main.ts`
 * and the end-to-end tests, so tests boot exactly what production boots.
 */
export async function startService(options: StartOptions = {}): Promise<RunningService> {
  const config = loadConfig(options.env ?? process.env);
  const logger = createLogger(config.logLevel, options.logDestination);
  ensureDataDir(config.dataDir);

  const secretBox = config.secret
    ? SecretBox.fromPassphrase(config.secret)
    : new SecretBox(Buffer.from(readOrCreateSecretFile(config.dataDir, 'secret.key', () => randomToken()).value, 'base64url'));

  let apiTokenFile: RunningService['apiTokenFile'] = null;
  let apiToken = config.apiToken;
  if (!apiToken) {
    const file = readOrCreateSecretFile(config.dataDir, 'api-token', randomToken);
    apiToken = file.value;
    apiTokenFile = { path: file.file, created: file.created };
  }

  const embedded = !config.databaseUrl;
  if (embedded) await createEmbeddedDatabase(embeddedDataDir(config.dataDir)!);
  const statementTimeoutMs = embedded ? null : config.dbStatementTimeoutMs;
  const dataSource = createDataSource({ databaseUrl: config.databaseUrl, pgliteDir: config.dataDir, entities: ENTITIES, migrations: MIGRATIONS, statementTimeoutMs });
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource, embedded);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }

  const runtime: Runtime = { config, logger, secretBox, apiToken, database: new Database(dataSource, embedded, statementTimeoutMs), metrics: new Metrics() };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(runtime), {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    bodyParser: false,
  });
  useJsonBodies(app);
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.enableShutdownHooks();
  setUpOpenApi(app);
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${address.port}`;
  return {
    app,
    config,
    url,
    apiToken,
    apiTokenFile,
    logger,
    async close() {
      await app.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

/** Largest JSON body the API accepts (a reply with HTML, a PEM chain). */
const JSON_BODY_LIMIT = '10mb';

/**
 * JSON bodies, parsed here rather than by Nest's default parser so that a malformed or
 * oversized body is answered right away as a 400/413 in the contract's shape, before any
 * route or static-file middleware can turn it into something else.
 */
function useJsonBodies(app: NestExpressApplication): void {
  app.use(json({ limit: JSON_BODY_LIMIT }));
  app.use((error: { status?: number; message?: string; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (!error?.type || !error.status) return next(error);
    const statusCode = error.status === 413 ? 413 : 400;
    res.status(statusCode).json({ statusCode, error: STATUS_CODES[statusCode], message: `request body: ${error.message}` });
  });
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('deskmail')
      .setDescription(
        'The mail side of a helpdesk: OAuth2 applications, mailboxes (incoming and outgoing servers), requests, quarantine and outbox. ' +
          'Every /v1 route needs `Authorization: Bearer <API token>`. ' +
          "Microsoft tokens for IMAP/POP/SMTP scopes work only for IMAP/POP/SMTP; Graph scopes only with baseScope 'graph'.",
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
