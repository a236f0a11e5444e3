/**
 * One HTTP process of the API when API_PROCESSES > 1, started by the primary (cluster.ts), never by
 * hand. It serves the API on the shared port with its own connections, and stops when the primary
 * says so or goes away. Signals are the primary's business: a Ctrl-C reaches every process of the
 * group, and the primary then stops each one after its requests are done.
 */
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@trainyard/contracts';
import { buildApi } from './app.js';
import { readApiConfig } from './config.js';
import { createLogger } from './logger.js';
import { openApiDeps } from './deps.js';
import type { PrimaryMessage } from './cluster.js';

const config = readApiConfig(process.env);
const logger = createLogger(config.logLevel);

const deps = openApiDeps(
  config,
  { databaseUrl: config.databaseUrl ?? DEFAULT_DATABASE_URL, redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL, env: process.env },
  logger,
);
const app = await buildApi(deps);

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await app.close();
  await deps.close();
  process.exit(0);
}
process.on('message', (message: PrimaryMessage) => {
  if (message.type === 'shutdown') void close();
});
process.on('disconnect', () => void close());
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});

try {
  await app.listen({ port: config.port, host: config.host });
} catch (error) {
  logger.fatal({ err: error }, 'the API process could not listen');
  process.exit(1);
}
