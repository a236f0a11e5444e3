/**
 * Test harness: the real API on a fresh Postgres database, a fresh queue prefix on the shared Redis and
 * a temporary storage folder, so test files never see each other's rows, queue entries or objects.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { openDatabase, type Database } from '@trainyard/db';
import { createTestDatabase, type TestDatabase } from '@trainyard/db/testing';
import { openStorage, type Storage } from '@trainyard/storage';
import { TrainingQueue } from '@trainyard/queue';
import { ResponseContract } from '@trainyard/contracts/testing';
import { buildApi } from '../src/app.js';
import { readApiConfig } from '../src/config.js';
import { openApiQueue } from '../src/queue-adapter.js';
import type { ApiDeps } from '../src/context.js';
import type { ApiQueue } from '../src/ports.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApi {
  app: FastifyInstance;
  db: Database;
  storage: Storage;
  storageDir: string;
  queue: ApiQueue;
  /** The same queue seen from outside the API, to check what was enqueued. */
  inspector: TrainingQueue;
  deps: ApiDeps;
  /** A new key for the tenant (created if new), as "Bearer <key>" headers. */
  authFor(tenant: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startTestApi(
  env: Record<string, string> = {},
  options: { queue?: ApiQueue; logLines?: string[] } = {},
): Promise<TestApi> {
  const database: TestDatabase = await createTestDatabase();
  const prefix = `trainyard-test-${randomBytes(5).toString('hex')}`;
  const storageDir = mkdtempSync(join(tmpdir(), 'trainyard-api-test-'));
  const config = readApiConfig({
    DATABASE_URL: database.url,
    REDIS_URL,
    STORAGE_URL: storageDir,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = openDatabase(database.url, { max: 5 });
  const storage = openStorage(storageDir);
  const queue = options.queue ?? openApiQueue({ redisUrl: REDIS_URL, prefix });
  const inspector = new TrainingQueue({ redisUrl: REDIS_URL, prefix });
  const lines = options.logLines;
  const logger = lines
    ? pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const deps: ApiDeps = { config, db, storage, queue, logger };
  const app = await buildApi(deps);
  await app.ready();
  checkResponsesAgainstDocument(app);
  return {
    app,
    db,
    storage,
    storageDir,
    queue,
    inspector,
    deps,
    async authFor(tenantName) {
      const { tenant } = await db.tenants.findOrCreate(tenantName);
      const { key } = await db.tenants.createApiKey(tenant.id);
      return { authorization: `Bearer ${key}` };
    },
    async close() {
      await app.close();
      await inspector.obliterate().catch(() => {});
      await Promise.allSettled([inspector.close(), queue.close(), storage.close()]);
      await db.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every answer a test receives through app.inject is checked against the API's own OpenAPI document
 * (status, headers, body): an undocumented one throws, failing the test that saw it.
 */
function checkResponsesAgainstDocument(app: FastifyInstance): void {
  const contract = new ResponseContract(app.swagger() as never);
  const inject = app.inject.bind(app) as (options: InjectOptions) => Promise<LightMyRequestResponse>;
  const checked = async (options: InjectOptions | string) => {
    const response = await inject(options as InjectOptions);
    const request = typeof options === 'string' ? { url: options } : options;
    const method = request.method ?? 'GET';
    const url = typeof request.url === 'string' ? request.url : (request.url?.pathname ?? request.path ?? '/');
    const problems = contract.check({
      method,
      url: String(url),
      status: response.statusCode,
      headers: response.headers,
      body: streamed(response) ? '' : response.body,
    });
    if (problems.length > 0) throw new Error(`the answer does not match the OpenAPI document:\n  ${problems.join('\n  ')}`);
    return response;
  };
  (app as { inject: unknown }).inject = (options?: InjectOptions | string) =>
    options === undefined ? inject(options as never) : checked(options);
}

function streamed(response: LightMyRequestResponse): boolean {
  return /^(text\/event-stream|application\/(gzip|octet-stream))/.test(String(response.headers['content-type'] ?? ''));
}

/** A minimal valid job spec. */
export function lenetJob(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, ...extra };
}
