/**
 * For tests: a fresh database on the shared Postgres (127.0.0.1:5432 unless TEST_DATABASE_URL says
 * otherwise), migrated, and dropped afterwards, so test files never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from './database.js';
import { applyMigrations } from './migrate.js';
import type { Job } from './repositories/jobs.js';
import type { SchedulingPolicy } from './repositories/scheduler.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
export { databaseInternals, type DatabaseInternals } from './database.js';

/** `serverUrl`: another server than the shared one (a private Postgres a test restarts). */
export async function createTestDatabase(options: { migrate?: boolean; serverUrl?: string } = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testServerUrl();
  const name = `trainyard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database: TestDatabase = {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
  if (options.migrate !== false) await applyMigrations(database.url);
  return database;
}

/**
 * Claims `jobId` for `workerId` the way a worker does (the scheduler's claimIfNext), stepping past the
 * jobs that would go first, as a worker whose queue entry is that job's would. Null when the job is not
 * queued. The default policy: a CPU worker, and a tenant limit no test reaches.
 */
export async function claimJob(
  db: Pick<Database, 'scheduler'>,
  jobId: string,
  workerId: string,
  policy: SchedulingPolicy = { accelerator: 'cpu', maxRunningPerTenant: 1_000 },
): Promise<Job | null> {
  const skip: string[] = [];
  for (;;) {
    const decision = await db.scheduler.claimIfNext(jobId, workerId, policy, skip);
    if (decision.kind === 'claimed') return decision.job;
    if (decision.kind === 'not_queued') return null;
    if (decision.kind !== 'not_next') throw new Error(`job ${jobId} cannot be claimed: ${decision.kind}`);
    skip.push(decision.next);
  }
}
