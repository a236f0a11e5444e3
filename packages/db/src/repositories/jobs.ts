/**
 * Jobs and their state machine. Every transition is one conditional UPDATE (`WHERE status = ...`, and
 * for a running job `AND worker_id = ...`), so two workers, a worker and a reaper, or a worker and a
 * cancel can never both move one job: the loser's update matches no row and it gets `false`.
 *
 *   queued -> running -> succeeded | failed | cancelled
 *   running -> queued (handed back: SIGTERM, lost worker)      queued -> cancelled | failed
 *
 * Each transition (and each insert) records its webhook event in the same statement: the UPDATE is a
 * CTE and the outbox inserts read its RETURNING rows (jobEventStatements), so an event exists exactly
 * when its transition happened.
 */
import type {
  Accelerator,
  DeviceView,
  EpochMetricName,
  JobProgress,
  JobStatus,
  ErrorCode,
  JobWebhookEventType,
  StopReason,
} from '@trainyard/contracts';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Prisma, type Job as JobWithEvaluation, type JobPhase, type PrismaClient } from '../../generated/prisma/client.js';
import { decodeCursor, decodeMetricCursor, encodeMetricCursor, toPage, type Page } from '../pagination.js';
import { Batcher } from '../batcher.js';
import { columnsAs } from '../raw-rows.js';
import { inTransaction, lockTenants, TENANT_JOBS_LOCK, TenantLimitError } from '../tenant-limit.js';
import { jobEventStatements } from './webhooks.js';

export interface NewJob {
  tenantId: string;
  name?: string | null;
  spec: Prisma.InputJsonValue;
  architecture: string;
  datasetId?: string | null;
  fineTuneFromId?: string | null;
  /** resources.accelerator of the spec (default any). */
  accelerator?: Accelerator;
  weightsId?: string | null;
  tags?: Record<string, string>;
  /** A sweep's trial: the sweep and the trial's index in its plan. */
  sweepId?: string | null;
  sweepTrial?: number | null;
  /**
   * MAX_QUEUED_JOBS_PER_TENANT: the insert fails with TenantLimitError('queued_jobs') when the tenant
   * already has this many queued jobs, counted atomically with the insert.
   */
  maxQueued?: number;
}

export interface IdempotencyRequest {
  key: string;
  /** A hash of the request body: the same key with another body is a conflict. */
  requestHash: string;
}

export type CreateJobResult = { kind: 'created'; job: Job } | { kind: 'replayed'; job: Job } | { kind: 'conflict' };

export interface ListJobsOptions {
  status?: JobStatus;
  architecture?: string;
  /** The trials of one sweep. */
  sweepId?: string;
  /** Jobs carrying every one of these key/value pairs. */
  tags?: Array<[key: string, value: string]>;
  /** A metric of the job's last recorded epoch within [min, max] (either may be left out). */
  metric?: { name: EpochMetricName; min?: number; max?: number };
  /** Newest first (the default), or by a metric of the last recorded epoch (jobs without it are left out). */
  sort?: { metric: EpochMetricName; direction: 'asc' | 'desc' };
  limit: number;
  /** From a previous page's nextCursor; an invalid cursor is reported as `invalidCursor`. */
  cursor?: string;
}

export interface JobFailure {
  code: ErrorCode | string;
  message: string;
}

class IdempotencyRace extends Error {}

/**
 * A job row without its `evaluation`: that column holds a confusion matrix of classes x classes
 * (27 MB for 3,000 classes), so only the evaluation route reads it (`evaluation()`); every other
 * query leaves it out.
 */
export type Job = Omit<JobWithEvaluation, 'evaluation'>;
const WITHOUT_EVALUATION = { evaluation: true } as const;

/** Every column of jobs but `evaluation`, for raw queries that return Job rows (from the generated client's field list). */
export const JOB_COLUMN_LIST = columnsAs(Object.values(Prisma.JobScalarFieldEnum).filter((field) => field !== 'evaluation'));
const JOB_COLUMNS = Prisma.raw(JOB_COLUMN_LIST);

/** The DateTime fields of Job: a row read back from JSON (a webhook event's data) has them as text. */
const JOB_DATE_FIELDS = [
  'notBefore',
  'heartbeatAt',
  'enqueuedAt',
  'cancelRequestedAt',
  'createdAt',
  'startedAt',
  'finishedAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Job>;

/** A job row from its JSON form (to_jsonb of JOB_COLUMN_LIST: a webhook event's data). */
export function jobFromJson(data: unknown): Job {
  const row = { ...(data as Record<string, unknown>) };
  for (const field of JOB_DATE_FIELDS) {
    const value = row[field];
    if (typeof value === 'string') row[field] = new Date(value);
  }
  return row as unknown as Job;
}

/** `update` (an UPDATE of jobs without RETURNING) with its `type` webhook events; the moved rows. */
function transitionStatement(update: string, type: JobWebhookEventType): string {
  return `WITH moved AS (${update} RETURNING ${JOB_COLUMN_LIST})${jobEventStatements('moved', type)} SELECT * FROM moved`;
}

/**
 * The submission path's statements, sent on the pg pool directly as named (prepared once per
 * connection) statements: submission is the API's hot path, and a query through Prisma costs several
 * times the CPU of the query itself (measured: create 0.66 ms against 0.22 ms for the same INSERT).
 * pg returns the same JavaScript values Prisma does for these columns (Date, parsed JSON, strings).
 */
const INSERT_JOBS = {
  name: 'trainyard.jobs.insert-many-within-limit',
  // Each row is inserted only while its tenant's queued jobs, those of this batch before it included,
  // stay within its max_queued (NULL: no limit); the caller holds the tenants' locks.
  text: `WITH inserted AS (
         INSERT INTO jobs (id, tenant_id, name, spec, architecture, dataset_id, fine_tune_from_id, accelerator, weights_id, tags,
                           sweep_id, sweep_trial)
         SELECT id, tenant_id, name, spec, architecture, dataset_id, fine_tune_from_id, accelerator, weights_id, tags, sweep_id, sweep_trial
         FROM (SELECT input.*, row_number() OVER (PARTITION BY input.tenant_id ORDER BY input.position) AS place
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::uuid[], $7::uuid[],
                           $8::"JobAccelerator"[], $9::uuid[], $10::jsonb[], $11::int[], $12::uuid[], $13::int[]) WITH ORDINALITY
                    AS input(id, tenant_id, name, spec, architecture, dataset_id, fine_tune_from_id, accelerator, weights_id, tags,
                             max_queued, sweep_id, sweep_trial, position)
              ) batch
         WHERE batch.max_queued IS NULL
            OR (SELECT count(*) FROM jobs WHERE jobs.tenant_id = batch.tenant_id AND jobs.status = 'queued') + batch.place <= batch.max_queued
         RETURNING ${JOB_COLUMN_LIST}
         )${jobEventStatements('inserted', 'job.queued')}
         SELECT * FROM inserted`,
};

/**
 * Inserts the jobs on a connection in an open transaction (the caller holds the tenants' locks when
 * a job has maxQueued), with the given ids; returns the rows inserted: a job over its tenant's
 * maxQueued is left out.
 */
export async function insertJobs(client: Pick<pg.PoolClient, 'query'>, ids: string[], inputs: NewJob[]): Promise<Job[]> {
  const result = await client.query<Job>({
    ...INSERT_JOBS,
    values: [
      ids,
      inputs.map((input) => input.tenantId),
      inputs.map((input) => input.name ?? null),
      inputs.map((input) => JSON.stringify(input.spec)),
      inputs.map((input) => input.architecture),
      inputs.map((input) => input.datasetId ?? null),
      inputs.map((input) => input.fineTuneFromId ?? null),
      inputs.map((input) => input.accelerator ?? 'any'),
      inputs.map((input) => input.weightsId ?? null),
      inputs.map((input) => JSON.stringify(input.tags ?? {})),
      inputs.map((input) => input.maxQueued ?? null),
      inputs.map((input) => input.sweepId ?? null),
      inputs.map((input) => input.sweepTrial ?? null),
    ],
  });
  return result.rows;
}

const COUNT_WITH_STATUS = {
  name: 'trainyard.jobs.count-with-status',
  text: 'SELECT count(*)::int AS count FROM jobs WHERE tenant_id = $1::uuid AND status = ANY($2::"JobStatus"[])',
};
const MARK_ENQUEUED_MANY = {
  name: 'trainyard.jobs.mark-enqueued-many',
  text: 'UPDATE jobs SET enqueued_at = now(), updated_at = now() WHERE id = ANY($1::uuid[]) AND enqueued_at IS NULL',
};

type Client = Pick<PrismaClient, '$queryRaw'>;

export class JobRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Inserts a queued job (not yet enqueued: `enqueuedAt` is null until `markEnqueued`). With an
   * idempotency key, the job and the key are written in one transaction; a retry with the same key
   * and body returns the first job, another body is a conflict.
   */
  async create(input: NewJob, idempotency?: IdempotencyRequest): Promise<CreateJobResult> {
    if (!idempotency) return { kind: 'created', job: await this.insertOnPool(input) };

    const earlier = await this.replay(input.tenantId, idempotency);
    if (earlier) return earlier;
    try {
      const job = await this.prisma.$transaction(async (tx) => {
        if (input.maxQueued !== undefined) {
          await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(${TENANT_JOBS_LOCK}::int, hashtext(${input.tenantId}::text))) AS lock`;
          const [{ queued }] = await tx.$queryRaw<Array<{ queued: number }>>`
            SELECT count(*)::int AS queued FROM jobs WHERE tenant_id = ${input.tenantId}::uuid AND status = 'queued'`;
          if (queued! >= input.maxQueued) throw new TenantLimitError('queued_jobs', queued!, input.maxQueued);
        }
        const job = await this.insert(tx, input);
        const inserted = await tx.$executeRaw`
          INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id)
          VALUES (${input.tenantId}::uuid, ${idempotency.key}, ${idempotency.requestHash}, ${job.id}::uuid)
          ON CONFLICT (tenant_id, key) DO NOTHING`;
        if (inserted === 0) throw new IdempotencyRace();
        return job;
      });
      return { kind: 'created', job };
    } catch (error) {
      if (!(error instanceof IdempotencyRace)) throw error;
      // A concurrent request with the same key won; its job is the answer.
      return (await this.replay(input.tenantId, idempotency)) ?? { kind: 'conflict' };
    }
  }

  /**
   * The INSERTs of concurrent submissions (without idempotency keys) share statements: one INSERT ...
   * SELECT FROM unnest(...) RETURNING for all the jobs that arrived while earlier ones were written.
   * The ids are made here, so that each caller gets its own row back whatever order Postgres returns.
   */
  private readonly inserts = new Batcher<NewJob, Job>((inputs) => this.insertMany(inputs), { maxInFlight: 4, maxBatch: 64 });

  private insertOnPool(input: NewJob): Promise<Job> {
    return this.inserts.add(input);
  }

  private async insertMany(inputs: NewJob[]): Promise<Array<PromiseSettledResult<Job>>> {
    const ids = inputs.map(() => randomUUID());
    try {
      const limited = inputs.filter((input) => input.maxQueued !== undefined).map((input) => input.tenantId);
      const rows = await inTransaction(this.pool, async (client) => {
        await lockTenants(client, TENANT_JOBS_LOCK, limited);
        return insertJobs(client, ids, inputs);
      });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return Promise.all(
        ids.map(async (id, index): Promise<PromiseSettledResult<Job>> => {
          const row = byId.get(id);
          if (row) return { status: 'fulfilled', value: row };
          const input = inputs[index]!;
          const queued = await this.countWithStatus(input.tenantId, ['queued']);
          return { status: 'rejected', reason: new TenantLimitError('queued_jobs', queued, input.maxQueued!) };
        }),
      );
    } catch (error) {
      // One bad row (a dataset deleted meanwhile) fails the whole statement: then each row alone, so
      // that only its own request fails.
      if (inputs.length === 1) return [{ status: 'rejected', reason: error }];
      return Promise.all(inputs.map(async (input) => (await this.insertMany([input]))[0]!));
    }
  }

  /** The same INSERT inside a Prisma transaction (with its idempotency key). */
  private async insert(client: Client, input: NewJob): Promise<Job> {
    const rows = await client.$queryRaw<Job[]>`
      WITH inserted AS (
        INSERT INTO jobs (tenant_id, name, spec, architecture, dataset_id, fine_tune_from_id, accelerator, weights_id, tags, sweep_id,
                          sweep_trial)
        VALUES (${input.tenantId}::uuid, ${input.name ?? null}, ${JSON.stringify(input.spec)}::jsonb, ${input.architecture},
                ${input.datasetId ?? null}::uuid, ${input.fineTuneFromId ?? null}::uuid, ${input.accelerator ?? 'any'}::"JobAccelerator",
                ${input.weightsId ?? null}::uuid, ${JSON.stringify(input.tags ?? {})}::jsonb, ${input.sweepId ?? null}::uuid,
                ${input.sweepTrial ?? null}::int)
        RETURNING ${JOB_COLUMNS}
      )${Prisma.raw(jobEventStatements('inserted', 'job.queued'))}
      SELECT * FROM inserted`;
    return rows[0]!;
  }

  /** The job an earlier request with this key created (`replayed`), a `conflict`, or null when the key is new. */
  async replay(tenantId: string, idempotency: IdempotencyRequest): Promise<CreateJobResult | null> {
    const row = await this.prisma.idempotencyKey.findUnique({
      where: { tenantId_key: { tenantId, key: idempotency.key } },
      include: { job: { omit: WITHOUT_EVALUATION } },
    });
    if (!row) return null;
    if (row.requestHash !== idempotency.requestHash) return { kind: 'conflict' };
    return { kind: 'replayed', job: row.job };
  }

  /** Deletes idempotency keys older than `before`; returns how many. */
  async pruneIdempotencyKeys(before: Date): Promise<number> {
    return (await this.prisma.idempotencyKey.deleteMany({ where: { createdAt: { lt: before } } })).count;
  }

  get(id: string): Promise<Job | null> {
    return this.prisma.job.findUnique({ where: { id }, omit: WITHOUT_EVALUATION });
  }

  /** The job if it belongs to the tenant; another tenant's job is indistinguishable from none. */
  findForTenant(tenantId: string, id: string): Promise<Job | null> {
    return this.prisma.job.findFirst({ where: { id, tenantId }, omit: WITHOUT_EVALUATION });
  }

  /** The stored evaluation of a job (null until it succeeded): the one query that reads that column. */
  async evaluation(id: string): Promise<unknown> {
    const row = await this.prisma.job.findUnique({ where: { id }, select: { evaluation: true } });
    return row?.evaluation ?? null;
  }

  /**
   * A page of the tenant's jobs. Keyset paging: newest first on (created_at, id), by a metric on
   * (value, id) of job_final_metrics, whose (tenant_id, name, value, job_id) index the page walks.
   */
  async list(tenantId: string, options: ListJobsOptions): Promise<Page<Job> | { invalidCursor: true }> {
    const conditions = [Prisma.sql`jobs.tenant_id = ${tenantId}::uuid`];
    if (options.status) conditions.push(Prisma.sql`jobs.status = ${options.status}::"JobStatus"`);
    if (options.architecture !== undefined) conditions.push(Prisma.sql`jobs.architecture = ${options.architecture}`);
    if (options.sweepId !== undefined) conditions.push(Prisma.sql`jobs.sweep_id = ${options.sweepId}::uuid`);
    for (const [key, value] of options.tags ?? []) conditions.push(Prisma.sql`jobs.tags @> ${JSON.stringify({ [key]: value })}::jsonb`);
    const { metric } = options;
    if (metric && (metric.min !== undefined || metric.max !== undefined)) {
      const range = [Prisma.sql`ranged.tenant_id = jobs.tenant_id`, Prisma.sql`ranged.name = ${metric.name}`];
      if (metric.min !== undefined) range.push(Prisma.sql`ranged.value >= ${metric.min}::float8`);
      if (metric.max !== undefined) range.push(Prisma.sql`ranged.value <= ${metric.max}::float8`);
      conditions.push(
        Prisma.sql`EXISTS (SELECT 1 FROM job_final_metrics ranged WHERE ranged.job_id = jobs.id AND ${Prisma.join(range, ' AND ')})`,
      );
    }
    const take = options.limit + 1;

    if (!options.sort) {
      const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
      if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
      if (cursor) {
        conditions.push(
          Prisma.sql`(jobs.created_at < ${cursor.createdAt} OR (jobs.created_at = ${cursor.createdAt} AND jobs.id < ${cursor.id}::uuid))`,
        );
      }
      const rows = await this.prisma.$queryRaw<Job[]>`
        SELECT ${JOB_COLUMNS} FROM jobs WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT ${take}`;
      return toPage(rows, options.limit);
    }

    const { metric: name, direction } = options.sort;
    const sortKey = `${name}:${direction}`;
    const cursor = options.cursor === undefined ? null : decodeMetricCursor(options.cursor, sortKey);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    if (cursor) {
      // After the cursor's (value, id) in the page's order; a row comparison the index answers.
      conditions.push(
        direction === 'desc'
          ? Prisma.sql`(sorted.value, sorted.job_id) < (${cursor.value}::float8, ${cursor.id}::uuid)`
          : Prisma.sql`(sorted.value, sorted.job_id) > (${cursor.value}::float8, ${cursor.id}::uuid)`,
      );
    }
    const order =
      direction === 'desc' ? Prisma.sql`sorted.value DESC, sorted.job_id DESC` : Prisma.sql`sorted.value ASC, sorted.job_id ASC`;
    const rows = await this.prisma.$queryRaw<Array<Job & { sortValue: number }>>`
      SELECT ${JOB_COLUMNS}, sorted.value AS "sortValue"
      FROM (SELECT job_id, value FROM job_final_metrics WHERE tenant_id = ${tenantId}::uuid AND name = ${name}) sorted
      JOIN jobs ON jobs.id = sorted.job_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY ${order} LIMIT ${take}`;
    const items = rows.slice(0, options.limit);
    const last = items.at(-1);
    const nextCursor = rows.length > options.limit && last ? encodeMetricCursor(sortKey, last.sortValue, last.id) : null;
    return { items: items.map(({ sortValue, ...job }) => (void sortValue, job)), nextCursor };
  }

  /** The tenant's jobs among `ids` (in no particular order; another tenant's are left out). */
  findManyForTenant(tenantId: string, ids: string[]): Promise<Job[]> {
    return this.prisma.job.findMany({ where: { tenantId, id: { in: ids } }, omit: WITHOUT_EVALUATION });
  }

  /** top1, top5 and loss of each job's stored evaluation (the confusion matrix stays in the database). */
  async evaluationSummaries(ids: string[]): Promise<Map<string, { top1: number; top5: number; loss: number }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<Array<{ id: string; top1: number; top5: number; loss: number }>>`
      SELECT id, (evaluation->>'top1')::float8 AS top1, (evaluation->>'top5')::float8 AS top5, (evaluation->>'loss')::float8 AS loss
      FROM jobs WHERE id = ANY(${ids}::uuid[]) AND jsonb_typeof(evaluation->'top1') = 'number'`;
    return new Map(rows.map((row) => [row.id, { top1: row.top1, top5: row.top5, loss: Number(row.loss) }]));
  }

  /**
   * Merges `set` into the job's tags and removes the keys of `remove`, in one UPDATE that keeps the
   * result within `maxTags` (so two concurrent merges cannot together pass it).
   */
  async mergeTags(
    tenantId: string,
    id: string,
    change: { set: Record<string, string>; remove: string[]; maxTags: number },
  ): Promise<Job | 'not_found' | 'tags_limit'> {
    const merged = Prisma.sql`((jobs.tags || ${JSON.stringify(change.set)}::jsonb) - ${change.remove}::text[])`;
    const rows = await this.prisma.$queryRaw<Job[]>`
      UPDATE jobs SET tags = ${merged}, updated_at = now()
      WHERE id = ${id}::uuid AND tenant_id = ${tenantId}::uuid
        AND (SELECT count(*) FROM jsonb_object_keys(${merged})) <= ${change.maxTags}
      RETURNING ${JOB_COLUMNS}`;
    if (rows[0]) return rows[0];
    return (await this.findForTenant(tenantId, id)) ? 'tags_limit' : 'not_found';
  }

  async countWithStatus(tenantId: string, statuses: JobStatus[]): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>({ ...COUNT_WITH_STATUS, values: [tenantId, statuses] });
    return rows[0]!.count;
  }

  /** How many of the tenant's jobs are running now (the scheduler's per-tenant limit counts them). */
  async countRunning(tenantId: string): Promise<number> {
    return this.prisma.job.count({ where: { tenantId, status: 'running' } });
  }

  /** Whether queued or running jobs use the dataset (it must not be deleted under them). */
  async datasetInUse(datasetId: string): Promise<boolean> {
    const count = await this.prisma.job.count({ where: { datasetId, status: { in: ['queued', 'running'] } } });
    return count > 0;
  }

  async weightsInUse(weightsId: string): Promise<boolean> {
    const count = await this.prisma.job.count({ where: { weightsId, status: { in: ['queued', 'running'] } } });
    return count > 0;
  }

  // ------------------------------------------------------------ retention

  /**
   * Deletes a finished job's rows (metrics, checkpoints, model and idempotency keys go with it), unless
   * a queued or running job starts from its model. The row is locked first, so a submission naming it
   * (whose insert locks it for its foreign key) and the delete never pass each other.
   */
  async deleteFinished(id: string): Promise<'deleted' | 'not_found' | 'active' | 'referenced'> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ status: JobStatus }>>`SELECT status FROM jobs WHERE id = ${id}::uuid FOR UPDATE`;
      const job = rows[0];
      if (!job) return 'not_found';
      if (job.status === 'queued' || job.status === 'running') return 'active';
      const users = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM jobs WHERE fine_tune_from_id = ${id}::uuid AND status IN ('queued', 'running') LIMIT 1`;
      if (users.length > 0) return 'referenced';
      await tx.$executeRaw`DELETE FROM jobs WHERE id = ${id}::uuid`;
      return 'deleted';
    });
  }

  /** Finished jobs that finished before `before`, oldest first (JOB_RETENTION_DAYS). */
  async findFinishedBefore(before: Date, limit = 100): Promise<Array<Pick<Job, 'id' | 'tenantId'>>> {
    return this.prisma.job.findMany({
      where: { status: { in: ['succeeded', 'failed', 'cancelled'] }, finishedAt: { lt: before } },
      orderBy: { finishedAt: 'asc' },
      select: { id: true, tenantId: true },
      take: limit,
    });
  }

  // ------------------------------------------------------------ the queue outbox

  async markEnqueued(id: string): Promise<boolean> {
    return this.changed(await this.prisma.job.updateMany({ where: { id, enqueuedAt: null }, data: { enqueuedAt: new Date() } }));
  }

  /** markEnqueued for many jobs in one statement (the API batches its submissions' marks). */
  async markEnqueuedMany(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.pool.query({ ...MARK_ENQUEUED_MANY, values: [ids] })).rowCount ?? 0;
  }

  /** Queued jobs whose enqueue never happened (queue down at submission, crash in between). */
  findUnenqueued(createdBefore: Date, limit = 100): Promise<Job[]> {
    return this.prisma.job.findMany({
      where: { status: 'queued', enqueuedAt: null, createdAt: { lt: createdBefore } },
      omit: WITHOUT_EVALUATION,
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  /** Ids of queued jobs not changed since `updatedBefore`, oldest first (the queue reconciliation's list). */
  async findQueuedIds(updatedBefore: Date, limit = 10_000): Promise<string[]> {
    const rows = await this.prisma.job.findMany({
      where: { status: 'queued', updatedAt: { lt: updatedBefore } },
      orderBy: { createdAt: 'asc' },
      select: { id: true },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /** Jobs by status, every tenant together (GET /metrics); a status without jobs is absent. */
  async countByStatus(): Promise<Array<{ status: JobStatus; count: number }>> {
    const { rows } = await this.pool.query<{ status: JobStatus; count: number }>({
      name: 'trainyard.jobs.count-by-status',
      text: 'SELECT status::text AS status, count(*)::int AS count FROM jobs GROUP BY status',
    });
    return rows;
  }

  /**
   * Finished jobs' durations (finished_at - started_at: from the first start, retries included) by
   * final status, as a cumulative histogram: `buckets[i]` counts the jobs of at most `upperBounds[i]`
   * seconds.
   */
  async durationHistogram(upperBounds: number[]): Promise<Array<{ status: JobStatus; count: number; sum: number; buckets: number[] }>> {
    const bucketColumns = upperBounds.map((_, i) => `count(*) FILTER (WHERE seconds <= $${i + 1}::float8)::int AS b${i}`).join(', ');
    const { rows } = await this.pool.query<Record<string, number | string>>(
      `SELECT status::text AS status, count(*)::int AS count, coalesce(sum(seconds), 0)::float8 AS sum${bucketColumns ? `, ${bucketColumns}` : ''} ` +
        `FROM (SELECT status, extract(epoch FROM finished_at - started_at) AS seconds FROM jobs ` +
        `WHERE finished_at IS NOT NULL AND started_at IS NOT NULL) finished GROUP BY status`,
      upperBounds,
    );
    return rows.map((row) => ({
      status: row.status as JobStatus,
      count: Number(row.count),
      sum: Number(row.sum),
      buckets: upperBounds.map((_, i) => Number(row[`b${i}`])),
    }));
  }

  // ------------------------------------------------------------ transitions

  async heartbeat(id: string, workerId: string): Promise<boolean> {
    return this.changed(
      await this.prisma.job.updateMany({ where: { id, workerId, status: 'running' }, data: { heartbeatAt: new Date() } }),
    );
  }

  /** Phase, progress, engine and device of a running job; also a heartbeat. */
  async reportProgress(
    id: string,
    workerId: string,
    update: { phase?: JobPhase; progress?: JobProgress; engine?: string; device?: DeviceView },
  ): Promise<boolean> {
    const data: Prisma.JobUpdateManyMutationInput = { heartbeatAt: new Date() };
    if (update.phase !== undefined) data.phase = update.phase;
    if (update.progress !== undefined) data.progress = update.progress as unknown as Prisma.InputJsonValue;
    if (update.engine !== undefined) data.engine = update.engine;
    if (update.device !== undefined) data.device = update.device as unknown as Prisma.InputJsonValue;
    return this.changed(await this.prisma.job.updateMany({ where: { id, workerId, status: 'running' }, data }));
  }

  /** `stopReason`: why training ended before its last epoch (early_stopping, pruned), null when it ran to the end. */
  async succeed(
    id: string,
    workerId: string,
    result: { engine: string; evaluation: unknown; stopReason?: StopReason | null },
  ): Promise<boolean> {
    return this.finish(
      'succeeded',
      `phase = NULL, engine = $3, evaluation = $4::jsonb, stop_reason = $5`,
      `id = $1::uuid AND worker_id = $2 AND status = 'running'`,
      [id, workerId, result.engine, result.evaluation === undefined ? null : JSON.stringify(result.evaluation), result.stopReason ?? null],
    );
  }

  /** running -> failed (this worker's job), or queued -> failed when `workerId` is null. */
  async fail(id: string, workerId: string | null, failure: JobFailure): Promise<boolean> {
    const set = 'error_code = $2, error_message = $3';
    return workerId === null
      ? this.finish('failed', set, `id = $1::uuid AND status = 'queued'`, [id, failure.code, failure.message])
      : this.finish('failed', set, `id = $1::uuid AND worker_id = $4 AND status = 'running'`, [
          id,
          failure.code,
          failure.message,
          workerId,
        ]);
  }

  /** queued -> cancelled at once (the API's cancel of a job no worker holds). */
  async cancelQueued(id: string): Promise<boolean> {
    return this.finish('cancelled', 'cancel_requested_at = now()', `id = $1::uuid AND status = 'queued'`, [id]);
  }

  /** Records a cancel request on a running job; the worker running it stops and calls markCancelled. */
  async requestCancel(id: string): Promise<boolean> {
    return this.changed(
      await this.prisma.job.updateMany({
        where: { id, status: 'running', cancelRequestedAt: null },
        data: { cancelRequestedAt: new Date() },
      }),
    );
  }

  /** running -> cancelled, by the worker that stopped it. */
  async markCancelled(id: string, workerId: string): Promise<boolean> {
    return this.finish('cancelled', null, `id = $1::uuid AND worker_id = $2 AND status = 'running'`, [id, workerId]);
  }

  /**
   * running -> queued: the job goes back to the queue (SIGTERM, or the reaper found its worker gone).
   * With `workerId` only that worker's job moves; with `staleBefore` only if its heartbeat is older.
   * The caller enqueues it again (or leaves it to the outbox: enqueuedAt is cleared). `retryAfter`: a
   * retry's backoff, before which the scheduler does not choose the job.
   */
  async requeue(id: string, condition: { workerId: string } | { staleBefore: Date }, retryAfter: Date | null = null): Promise<boolean> {
    const where =
      'workerId' in condition
        ? `id = $1::uuid AND status = 'running' AND worker_id = $3`
        : `id = $1::uuid AND status = 'running' AND heartbeat_at < $3::timestamptz`;
    const moved = await this.transition(
      `UPDATE jobs SET status = 'queued', phase = NULL, worker_id = NULL, heartbeat_at = NULL, enqueued_at = NULL,
         not_before = $2::timestamptz, updated_at = now()
       WHERE ${where}`,
      'job.queued',
      [id, retryAfter, 'workerId' in condition ? condition.workerId : condition.staleBefore],
    );
    return moved !== null;
  }

  /** Running jobs whose heartbeat stopped before `before` (their worker is gone or stuck). */
  findStale(before: Date, limit = 100): Promise<Job[]> {
    return this.prisma.job.findMany({
      where: { status: 'running', heartbeatAt: { lt: before } },
      omit: WITHOUT_EVALUATION,
      orderBy: { heartbeatAt: 'asc' },
      take: limit,
    });
  }

  /** Running jobs with a cancel request (for a worker that missed the pub/sub message). */
  findCancelRequested(ids: string[]): Promise<Array<Pick<Job, 'id'>>> {
    return this.prisma.job.findMany({
      where: { id: { in: ids }, status: 'running', cancelRequestedAt: { not: null } },
      select: { id: true },
    });
  }

  /** One UPDATE of the state machine (see the file comment) with its webhook events; the moved row or null. */
  private async transition(update: string, type: JobWebhookEventType, values: unknown[]): Promise<Job | null> {
    const { rows } = await this.pool.query<Job>(transitionStatement(update, type), values);
    return rows[0] ?? null;
  }

  private async finish(
    status: 'succeeded' | 'failed' | 'cancelled',
    set: string | null,
    where: string,
    values: unknown[],
  ): Promise<boolean> {
    // A failed or cancelled job keeps its phase: it tells in which phase it stopped.
    const moved = await this.transition(
      `UPDATE jobs SET status = '${status}', ${set ? `${set}, ` : ''}finished_at = now(), updated_at = now() WHERE ${where}`,
      `job.${status}`,
      values,
    );
    return moved !== null;
  }

  private changed(result: { count: number }): boolean {
    return result.count > 0;
  }
}
