/**
 * The setup the stream tests share (events.test.ts, job-logs.test.ts): the real API listening on a free
 * port, a tenant's key, the job channels as a worker sees them, and a plain Redis client to look at keys.
 */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { JobChannels } from '@trainyard/queue';
import { REDIS_URL, startTestApi, type TestApi } from './helpers.js';

export interface StreamFixture {
  api: TestApi;
  /** http://127.0.0.1:<port> */
  base: string;
  headers: Record<string, string>;
  /** Publishes and logs as a worker does. */
  worker: JobChannels;
  redis: Redis;
  close(): Promise<void>;
}

export async function startStreamFixture(tenant: string): Promise<StreamFixture> {
  const api = await startTestApi();
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const headers = await api.authFor(tenant);
  const worker = new JobChannels({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
  const redis = new Redis(REDIS_URL);
  return {
    api,
    base,
    headers,
    worker,
    redis,
    async close() {
      await worker.close();
      redis.disconnect();
      // fetch's pool may hold a connection that never carried a request; Node waits for those.
      api.app.server.closeAllConnections();
      await api.close();
    },
  };
}

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
