/**
 * The one place that decides which queued job a free worker runs next, from Postgres:
 *
 *   1. only jobs the worker may run: its accelerator class (`gpu` or `cpu`) and the `any` jobs;
 *   2. only tenants below MAX_RUNNING_JOBS_PER_TENANT running jobs;
 *   3. the tenant with the fewest running jobs first; between equals, the tenant whose latest start
 *      is oldest (a tenant that never started a job first), so that tenants take turns;
 *   4. within a tenant, submission order (a job handed back keeps its place).
 *
 * Every decision and claim runs under one transaction-scoped advisory lock, so two workers deciding
 * at the same moment see each other's claims: the per-tenant limit is never exceeded and one job is
 * never claimed twice (the claim is also the state machine's conditional UPDATE).
 */
import type { Accelerator, WorkerAccelerator } from '@trainyard/contracts';
import type pg from 'pg';
import type { Job } from './jobs.js';
import { JOB_COLUMN_LIST } from './jobs.js';
import { jobEventStatements } from './webhooks.js';

export interface SchedulingPolicy {
  /** The class the worker declares. */
  accelerator: WorkerAccelerator;
  /** MAX_RUNNING_JOBS_PER_TENANT */
  maxRunningPerTenant: number;
}

export type ClaimDecision =
  | { kind: 'claimed'; job: Job }
  /** Another job comes first: the worker should run `next` (and put its own job back in line). */
  | { kind: 'not_next'; next: string }
  /** The job's tenant already runs `limit` jobs; `next` is what the worker may run instead, if any. */
  | { kind: 'limited'; running: number; limit: number; next: string | null }
  /** The job needs another class of worker; `next` is what this worker may run instead, if any. */
  | { kind: 'other_class'; accelerator: Accelerator; next: string | null }
  /** The job is not queued (running elsewhere, finished, deleted). */
  | { kind: 'not_queued' };

/** Advisory lock of scheduling decisions (the migrations' lock is 72707369). */
const SCHEDULER_LOCK = 72707370;

/** Classes of jobs a worker of this class may run. */
export function runnableAccelerators(worker: WorkerAccelerator): Accelerator[] {
  return ['any', worker];
}

const NEXT_JOB = {
  name: 'trainyard.scheduler.next-job',
  text: `
    WITH heads AS (
      SELECT DISTINCT ON (tenant_id) id, tenant_id, created_at
      FROM jobs
      WHERE status = 'queued' AND accelerator = ANY($1::"JobAccelerator"[]) AND NOT (id = ANY($3::uuid[]))
        AND (not_before IS NULL OR not_before <= now())
      ORDER BY tenant_id, created_at, id
    ), ranked AS (
      SELECT heads.id, heads.created_at,
        (SELECT count(*) FROM jobs r WHERE r.tenant_id = heads.tenant_id AND r.status = 'running') AS running,
        (SELECT max(s.started_at) FROM jobs s WHERE s.tenant_id = heads.tenant_id) AS last_start
      FROM heads
    )
    SELECT id FROM ranked WHERE running < $2
    ORDER BY running, last_start NULLS FIRST, created_at, id
    LIMIT 1`,
};
const QUEUED_JOB = {
  name: 'trainyard.scheduler.queued-job',
  text: `SELECT tenant_id AS "tenantId", accelerator FROM jobs WHERE id = $1::uuid AND status = 'queued'`,
};
const RUNNING_OF_TENANT = {
  name: 'trainyard.scheduler.running-of-tenant',
  text: `SELECT count(*)::int AS count FROM jobs WHERE tenant_id = $1::uuid AND status = 'running'`,
};
const CLAIM = {
  name: 'trainyard.scheduler.claim',
  // With its job.running webhook events (the state machine's rule: see jobs.ts).
  text: `WITH claimed AS (
           UPDATE jobs SET status = 'running', phase = 'loading_data', worker_id = $2, attempts = attempts + 1,
             not_before = NULL, heartbeat_at = now(), updated_at = now(), started_at = COALESCE(started_at, now())
           WHERE id = $1::uuid AND status = 'queued' RETURNING ${JOB_COLUMN_LIST}
         )${jobEventStatements('claimed', 'job.running')}
         SELECT * FROM claimed`,
};

export class SchedulerRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The job a free worker of this policy should run next, or null when none may run now. `skip`:
   * jobs to leave out (their queue entries are busy elsewhere or backing off).
   */
  async next(policy: SchedulingPolicy, skip: string[] = []): Promise<string | null> {
    return this.withLock((client) => this.choose(client, policy, skip));
  }

  /**
   * queued -> running for `workerId`, if `jobId` is the job this worker should run next (see the file
   * comment); otherwise why not, and which job comes first.
   */
  async claimIfNext(jobId: string, workerId: string, policy: SchedulingPolicy, skip: string[] = []): Promise<ClaimDecision> {
    return this.withLock(async (client) => {
      const { rows } = await client.query<{ tenantId: string; accelerator: Accelerator }>({ ...QUEUED_JOB, values: [jobId] });
      const job = rows[0];
      if (!job) return { kind: 'not_queued' };
      const next = await this.choose(
        client,
        policy,
        skip.filter((id) => id !== jobId),
      );
      if (!runnableAccelerators(policy.accelerator).includes(job.accelerator)) {
        return { kind: 'other_class', accelerator: job.accelerator, next };
      }
      if (next !== jobId) {
        const { rows: counted } = await client.query<{ count: number }>({ ...RUNNING_OF_TENANT, values: [job.tenantId] });
        const running = counted[0]!.count;
        if (running >= policy.maxRunningPerTenant) return { kind: 'limited', running, limit: policy.maxRunningPerTenant, next };
        if (next !== null) return { kind: 'not_next', next };
        // Nothing else may run, and this job only waits for its retry backoff (not_before): the
        // queue, which keeps the same backoff, has just handed it out, so it runs.
      }
      const { rows: claimed } = await client.query<Job>({ ...CLAIM, values: [jobId, workerId] });
      return claimed[0] ? { kind: 'claimed', job: claimed[0] } : { kind: 'not_queued' };
    });
  }

  private async choose(client: pg.PoolClient, policy: SchedulingPolicy, skip: string[]): Promise<string | null> {
    const { rows } = await client.query<{ id: string }>({
      ...NEXT_JOB,
      values: [runnableAccelerators(policy.accelerator), policy.maxRunningPerTenant, skip],
    });
    return rows[0]?.id ?? null;
  }

  private async withLock<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query({ name: 'trainyard.scheduler.lock', text: 'SELECT pg_advisory_xact_lock($1::int)', values: [SCHEDULER_LOCK] });
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      // A connection that failed mid-transaction is not handed out again.
      client.release(broken);
    }
  }
}
