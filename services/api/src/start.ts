/**
 * Starts the API for real: reads the configuration (every bad variable reported at once), applies
 * migrations, opens Postgres, Redis and storage, listens, runs the housekeeping loops, and shuts down
 * cleanly on SIGTERM/SIGINT. `trainyard start api` calls this; URLs that `trainyard start` resolved
 * (embedded Postgres, a private Redis) are passed in `env`.
 *
 * With API_PROCESSES > 1 this process becomes the primary of a node:cluster: it runs the migrations,
 * the housekeeping loops and the catalog's child once, and HTTP is served by that many processes on
 * one port (cluster-process.ts), restarted if one dies.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { removeOrphanedScratchDirs } from '@trainyard/storage';
import { applyMigrations, ensureDatabase } from '@trainyard/db';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@trainyard/contracts';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './app.js';
import { readApiConfig, type ApiConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openApiDeps } from './deps.js';
import { startBackgroundTasks } from './background/index.js';
import { startHttpProcesses } from './cluster.js';

export interface StartApiOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Stop on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

export interface RunningApi {
  /** The Fastify instance; null when API_PROCESSES > 1 (HTTP is served by the cluster's processes). */
  app: FastifyInstance | null;
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
  const deps = openApiDeps(config, { databaseUrl, redisUrl, env }, logger);
  // Uploads and sample reads of an API process that was killed midway.
  const orphans = await removeOrphanedScratchDirs(config.uploadTmpDir ?? tmpdir());
  if (orphans.length > 0) logger.info({ removed: orphans.length }, 'removed temporary folders of processes that no longer run');

  const processes = config.apiProcesses === 0 ? availableParallelism() : config.apiProcesses;
  let app: FastifyInstance | null = null;
  let stopHttp: () => Promise<void>;
  let address: string;
  if (processes > 1) {
    const cluster = await startHttpProcesses({ processes, env: { ...env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl }, logger });
    address = cluster.address;
    stopHttp = cluster.close;
  } else {
    app = await buildApi(deps);
    address = await app.listen({ port: config.port, host: config.host });
    stopHttp = () => app!.close();
  }
  const stopBackground = startBackgroundTasks(deps);
  logger.info({ address, storage: deps.storage.description, processes }, 'API listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await stopBackground();
      await stopHttp();
      await deps.close();
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
