/** Opens what the API's routes and loops use (ApiDeps): Postgres, object storage and the queue. */
import { openDatabase } from '@trainyard/db';
import { openStorage } from '@trainyard/storage';
import type { ApiConfig } from './config.js';
import type { ApiDeps } from './context.js';
import type { Logger } from './logger.js';
import { openApiQueue } from './queue-adapter.js';

export function openApiDeps(
  config: ApiConfig,
  services: { databaseUrl: string; redisUrl: string; env: Record<string, string | undefined> },
  logger: Logger,
): ApiDeps & { close(): Promise<void> } {
  const db = openDatabase(services.databaseUrl, { onError: (error) => logger.warn({ err: error }, 'idle Postgres connection failed') });
  const storage = openStorage(config.storageUrl, { env: services.env as NodeJS.ProcessEnv });
  const queue = openApiQueue({ redisUrl: services.redisUrl, prefix: config.queuePrefix });
  return {
    config,
    db,
    storage,
    queue,
    logger,
    async close() {
      await Promise.allSettled([queue.close(), db.close(), storage.close()]);
    },
  };
}
