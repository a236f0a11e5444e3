#!/usr/bin/env node
/**
 * Runs one worker against the services named by the environment (DATABASE_URL and REDIS_URL must be
 * set; `trainyard start worker` adds the embedded defaults). SIGTERM or SIGINT: hand running jobs back
 * to the queue and exit.
 */
import { ConfigError } from '@trainyard/contracts';
import { readWorkerConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker.js';

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
  if (!config.databaseUrl || !config.redisUrl) {
    process.stderr.write('DATABASE_URL and REDIS_URL must be set (or use `trainyard start worker`, which starts local ones).\n');
    return 2;
  }
  const logger = createLogger(config.logLevel, { workerId: config.workerId });
  const worker = await startWorker({ ...config, databaseUrl: config.databaseUrl, redisUrl: config.redisUrl }, logger);
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
