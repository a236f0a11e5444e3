#!/usr/bin/env node
/**
 * Runs one worker against the services named by the environment (DATABASE_URL and REDIS_URL, else
 * the local defaults; `trainyard start worker` also starts embedded ones). SIGTERM or SIGINT: hand
 * running jobs back to the queue and exit.
 */
import { ConfigError, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@trainyard/contracts';
import { readWorkerConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker.js';
import { WorkerEngineError } from './worker-engine.js';

async function main(): Promise<number> {
  let config;
  try {
    config = readWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { workerId: config.workerId });
  let worker;
  try {
    worker = await startWorker(
      { ...config, databaseUrl: config.databaseUrl ?? DEFAULT_DATABASE_URL, redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL },
      logger,
    );
  } catch (error) {
    if (error instanceof WorkerEngineError) {
      process.stderr.write(`worker cannot start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`worker failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
