/**
 * Starts the API for real: reads the configuration (every bad variable reported at once), applies
 * migrations, opens Postgres, Redis and storage, listens, runs the housekeeping loops, and shuts down
 * cleanly on SIGTERM/SIGINT. `trainyard start api` calls this; URLs that `trainyard start` resolved
 * (embedded Postgres, a private Redis) are passed in `env`.
 */
import { applyMigrations, ensureDatabase, openDatabase } from '@trainyard/db';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@trainyard/contracts';
import { openStorage } from '@trainyard/storage';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './app.js';
import { readApiConfig, type ApiConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openApiQueue } from './queue-adapter.js';
import { startBackgroundTasks } from './background/index.js';
import { architectureFacts } from './architectures/parameter-counts.js';

export interface StartApiOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Stop on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

export interface RunningApi {
  app: FastifyInstance;
  config: ApiConfig;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

export async function startApi(options: StartApiOptions = {}): Promise<RunningApi> {
  const env = options.env ?? process.env;
  const config = readApiConfig(env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const databaseUrl = config.databaseUrl ?? DEFAULT_DATABASE_URL;
  const redisUrl = config.redisUrl ?? DEFAULT_REDIS_URL;

  await ensureDatabase(databaseUrl);
  const migrations = await applyMigrations(databaseUrl, { log: (message) => logger.info(message) });
  logger.info({ applied: migrations.applied.length }, 'database schema up to date');
  const db = openDatabase(databaseUrl, { onError: (error) => logger.warn({ err: error }, 'idle Postgres connection failed') });
  const storage = openStorage(config.storageUrl, { env: env as NodeJS.ProcessEnv });
  const queue = openApiQueue({ redisUrl, prefix: config.queuePrefix });
  const deps = { config, db, storage, queue, logger };

  const app = await buildApi(deps);
  const address = await app.listen({ port: config.port, host: config.host });
  const stopBackground = startBackgroundTasks(deps);
  void architectureFacts(logger); // build the catalog once, off the request path (parameter counts, memory estimates)
  logger.info({ address, storage: storage.description }, 'API listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      stopBackground();
      await app.close();
      await Promise.allSettled([queue.close(), db.close(), storage.close()]);
    })());

  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      void close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  return { app, config, url, close };
}
