/**
 * Sweeps, their trials (jobs with sweep_id) and their ASHA decisions. The rules themselves are pure
 * functions of @trainyard/contracts (sweep-search.ts); this file applies them to Postgres state under
 * the sweep row's lock, so that several API processes (creating trials) and several workers (asking
 * for decisions) each see a consistent set:
 *
 * - createTrials: the count of active trials and trials_created are read and changed under the lock,
 *   so a sweep never has more than maxConcurrentTrials queued or running trials, nor a trial twice;
 * - decideAtRung: the competitors at a rung are read and the decision inserted under the lock, so two
 *   trials reaching a rung at once are ranked one after the other, the second against the first.
 *
 * Every status change of a sweep is one conditional UPDATE (`WHERE status = 'running'`).
 */
import {
  ashaContinues,
  type ResolvedSweepSpec,
  type SweepMetric,
  type SweepStatus,
  type TrialAssignment,
  type JobStatus,
  type StopReason,
} from '@trainyard/contracts';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Prisma, type PrismaClient, type Sweep } from '../../generated/prisma/client.js';
import { columnsAs } from '../raw-rows.js';
import { afterCursor, decodeCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.js';
import { inTransaction, lockTenants, TENANT_JOBS_LOCK } from '../tenant-limit.js';
import { insertJobs, type Job, type NewJob } from './jobs.js';
import { recordEvent } from './webhooks.js';

export interface NewSweep {
  tenantId: string;
  name: string | null;
  spec: ResolvedSweepSpec;
  plan: TrialAssignment[];
}

export interface ListSweepsOptions {
  status?: SweepStatus;
  limit: number;
  cursor?: string;
}

/** A trial created or not yet: what createTrials inserts. */
export type NewTrial = Omit<NewJob, 'sweepId' | 'sweepTrial'> & { trial: number };

export interface TrialCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface TrialRow {
  jobId: string;
  trial: number;
  status: JobStatus;
  stopReason: StopReason | null;
  /** Epochs with a metrics row (its last epoch). */
  epochs: number;
  /** The sweep's metric at its last epoch. */
  metric: number | null;
}

export interface DecisionRecord {
  sequence: number;
  jobId: string;
  trial: number;
  rung: number;
  metric: number;
  continues: boolean;
  competitors: Array<{ jobId: string; trial: number; metric: number }>;
  decidedAt: Date;
}

/**
 * What a sweep's webhook event carries (the sweep as the API shows it), computed from the row its
 * transition left, inside that transition: the event is recorded in the same transaction.
 */
export type SweepEventData = (sweep: Sweep) => Promise<unknown>;

const SWEEP_COLUMN_LIST = columnsAs(Object.values(Prisma.SweepScalarFieldEnum));

/** The epoch_metrics column of each sweep metric (never interpolated from input). */
const METRIC_COLUMNS: Record<SweepMetric, string> = {
  validationAccuracy: 'validation_accuracy',
  validationLoss: 'validation_loss',
  trainAccuracy: 'train_accuracy',
  trainLoss: 'train_loss',
};

const LOCK_SWEEP = {
  name: 'trainyard.sweeps.lock',
  text: `SELECT tenant_id AS "tenantId", status, spec, trials_created AS "trialsCreated" FROM sweeps WHERE id = $1::uuid FOR UPDATE`,
};
const ACTIVE_TRIALS = {
  name: 'trainyard.sweeps.active-trials',
  text: `SELECT count(*)::int AS count FROM jobs WHERE sweep_id = $1::uuid AND status IN ('queued', 'running')`,
};
// Done: every planned trial was created and none is queued or running. Succeeded when one trial did.
const FINISH_IF_DONE = `UPDATE sweeps s SET
           status = CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.sweep_id = s.id AND j.status = 'succeeded')
                         THEN 'succeeded'::"SweepStatus" ELSE 'failed'::"SweepStatus" END,
           error_code = CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.sweep_id = s.id AND j.status = 'succeeded')
                             THEN NULL ELSE 'no_trial_succeeded' END,
           error_message = CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.sweep_id = s.id AND j.status = 'succeeded')
                                THEN NULL ELSE 'No trial of the sweep succeeded; see its trials'' errors.' END,
           finished_at = now(), updated_at = now()
         WHERE s.id = $1::uuid AND s.status = 'running' AND s.trials_created >= jsonb_array_length(s.plan)
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.sweep_id = s.id AND j.status IN ('queued', 'running'))
         RETURNING ${SWEEP_COLUMN_LIST}`;

export class SweepRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  create(input: NewSweep): Promise<Sweep> {
    return this.prisma.sweep.create({
      data: { tenantId: input.tenantId, name: input.name, spec: input.spec as never, plan: input.plan as never },
    });
  }

  get(id: string): Promise<Sweep | null> {
    return this.prisma.sweep.findUnique({ where: { id } });
  }

  /** The sweep if it belongs to the tenant; another tenant's sweep is indistinguishable from none. */
  findForTenant(tenantId: string, id: string): Promise<Sweep | null> {
    return this.prisma.sweep.findFirst({ where: { id, tenantId } });
  }

  async list(tenantId: string, options: ListSweepsOptions): Promise<Page<Sweep> | { invalidCursor: true }> {
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    const rows = await this.prisma.sweep.findMany({
      where: { tenantId, ...(options.status ? { status: options.status } : {}), ...afterCursor(cursor) },
      orderBy: NEWEST_FIRST,
      take: options.limit + 1,
    });
    return toPage(rows, options.limit);
  }

  /** Ids of running sweeps, oldest first (the API's sweep loop advances each). */
  async runningIds(limit = 1000): Promise<string[]> {
    const rows = await this.prisma.sweep.findMany({
      where: { status: 'running' },
      orderBy: { createdAt: 'asc' },
      select: { id: true },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  async trialCounts(sweepId: string): Promise<TrialCounts> {
    const counts: TrialCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const rows = await this.prisma.job.groupBy({ by: ['status'], where: { sweepId }, _count: { _all: true } });
    for (const row of rows) counts[row.status] = row._count._all;
    return counts;
  }

  /**
   * Inserts the next trials of a running sweep, in plan order from `trials_created`, as many as
   * maxConcurrentTrials and the tenant's queued-job limit (each NewTrial's maxQueued) allow; returns
   * the jobs inserted (none when another process created trials meanwhile: `firstTrial` is no longer
   * next). The caller enqueues them.
   */
  async createTrials(sweepId: string, firstTrial: number, trials: NewTrial[]): Promise<Job[]> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ tenantId: string; status: SweepStatus; spec: ResolvedSweepSpec; trialsCreated: number }>({
        ...LOCK_SWEEP,
        values: [sweepId],
      });
      const sweep = rows[0];
      if (!sweep || sweep.status !== 'running' || sweep.trialsCreated !== firstTrial) return [];
      const { rows: active } = await client.query<{ count: number }>({ ...ACTIVE_TRIALS, values: [sweepId] });
      const room = Math.max(0, sweep.spec.maxConcurrentTrials - active[0]!.count);
      const next = trials.slice(0, room).filter((trial, index) => trial.trial === firstTrial + index);
      if (next.length === 0) return [];
      await lockTenants(client, TENANT_JOBS_LOCK, [sweep.tenantId]);
      const inserted = await insertJobs(
        client,
        next.map(() => randomUUID()),
        next.map(({ trial, ...job }) => ({ ...job, tenantId: sweep.tenantId, sweepId, sweepTrial: trial })),
      );
      // Rows over the queued limit are the last ones of the batch (the count grows with each row).
      await client.query({
        name: 'trainyard.sweeps.count-created',
        text: 'UPDATE sweeps SET trials_created = trials_created + $2::int, updated_at = now() WHERE id = $1::uuid',
        values: [sweepId, inserted.length],
      });
      return inserted.sort((a, b) => (a.sweepTrial ?? 0) - (b.sweepTrial ?? 0));
    });
  }

  /**
   * running -> succeeded (a trial succeeded) or failed (none did), once every trial was created and
   * has ended; with its webhook event. The new status, or null when the sweep goes on.
   */
  async finishIfDone(sweepId: string, eventData: SweepEventData): Promise<SweepStatus | null> {
    const sweep = await this.transition(FINISH_IF_DONE, [sweepId], eventData);
    return (sweep?.status as SweepStatus | undefined) ?? null;
  }

  /** running -> failed with an error (a trial could not be created), with its webhook event. */
  async fail(sweepId: string, failure: { code: string; message: string }, eventData: SweepEventData): Promise<boolean> {
    const update = `UPDATE sweeps SET status = 'failed', error_code = $2, error_message = $3, finished_at = now(), updated_at = now()
                    WHERE id = $1::uuid AND status = 'running' RETURNING ${SWEEP_COLUMN_LIST}`;
    return (await this.transition(update, [sweepId, failure.code, failure.message], eventData)) !== null;
  }

  /** running -> cancelled: no trial is created any more (the caller cancels the active ones); with its webhook event. */
  async cancel(sweepId: string, eventData: SweepEventData): Promise<boolean> {
    const update = `UPDATE sweeps SET status = 'cancelled', finished_at = now(), updated_at = now()
                    WHERE id = $1::uuid AND status = 'running' RETURNING ${SWEEP_COLUMN_LIST}`;
    return (await this.transition(update, [sweepId], eventData)) !== null;
  }

  /** One conditional UPDATE of a sweep (RETURNING the row) and, when it moved, its `sweep.<status>` event. */
  private async transition(update: string, values: unknown[], eventData: SweepEventData): Promise<Sweep | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<Sweep>(update, values);
      const sweep = rows[0];
      if (!sweep) return null;
      const type = `sweep.${sweep.status}` as 'sweep.succeeded' | 'sweep.failed' | 'sweep.cancelled';
      await recordEvent(client, { tenantId: sweep.tenantId, type, subjectId: sweep.id, data: await eventData(sweep) });
      return sweep;
    });
  }

  /** The sweep's queued and running trials. */
  activeTrials(sweepId: string): Promise<Array<Pick<Job, 'id' | 'status'>>> {
    return this.prisma.job.findMany({
      where: { sweepId, status: { in: ['queued', 'running'] } },
      select: { id: true, status: true },
    });
  }

  /** Every trial job of the sweep with its last epoch and its metric there, by trial. */
  async trials(sweepId: string, metric: SweepMetric): Promise<TrialRow[]> {
    const column = METRIC_COLUMNS[metric];
    const { rows } = await this.pool.query<TrialRow>(
      `SELECT j.id AS "jobId", j.sweep_trial AS trial, j.status, j.stop_reason AS "stopReason",
              COALESCE(m.epoch, 0) AS epochs, m.${column} AS metric
       FROM jobs j
       LEFT JOIN LATERAL (SELECT epoch, ${column} FROM epoch_metrics WHERE job_id = j.id ORDER BY epoch DESC LIMIT 1) m ON true
       WHERE j.sweep_id = $1::uuid
       ORDER BY j.sweep_trial`,
      [sweepId],
    );
    return rows;
  }

  /** Every decision of the sweep, in the order they were made. */
  async decisions(sweepId: string): Promise<DecisionRecord[]> {
    const rows = await this.prisma.sweepDecision.findMany({ where: { sweepId }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({
      sequence: Number(row.id),
      jobId: row.jobId,
      trial: row.trial,
      rung: row.rung,
      metric: row.metric,
      continues: row.continues,
      competitors: row.competitors as DecisionRecord['competitors'],
      decidedAt: row.createdAt,
    }));
  }

  /**
   * ASHA's decision for a trial that has trained `rung` epochs: whether it continues. Made from
   * Postgres under the sweep's lock: the trial's metric at the rung (its epoch_metrics row) ranked
   * against the decisions already recorded at that rung; recorded in the same transaction. Asked
   * again (a worker restarted after the decision), it answers the recorded one. Null when `workerId`
   * does not hold the job (it was taken away): nothing is recorded then.
   */
  async decideAtRung(request: { sweepId: string; jobId: string; workerId: string; rung: number }): Promise<{ continues: boolean } | null> {
    const { sweepId, jobId, workerId, rung } = request;
    return inTransaction(this.pool, async (client) => {
      const { rows: sweeps } = await client.query<{ spec: ResolvedSweepSpec }>({ ...LOCK_SWEEP, values: [sweepId] });
      const spec = sweeps[0]?.spec;
      if (!spec || spec.searcher.type !== 'asha') throw new Error(`sweep ${sweepId} has no ASHA searcher`);
      const { rows: earlier } = await client.query<{ continues: boolean }>(
        'SELECT continues FROM sweep_decisions WHERE job_id = $1::uuid AND rung = $2::int',
        [jobId, rung],
      );
      if (earlier[0]) return { continues: earlier[0].continues };
      const column = METRIC_COLUMNS[spec.metric];
      const { rows: trials } = await client.query<{ trial: number; metric: number | null }>(
        `SELECT j.sweep_trial AS trial, m.${column} AS metric
         FROM jobs j LEFT JOIN epoch_metrics m ON m.job_id = j.id AND m.epoch = $3::int
         WHERE j.id = $1::uuid AND j.sweep_id = $4::uuid AND j.worker_id = $2 AND j.status = 'running'`,
        [jobId, workerId, rung, sweepId],
      );
      const trial = trials[0];
      if (!trial) return null;
      if (trial.metric === null) throw new Error(`job ${jobId} has no ${spec.metric} at epoch ${rung}`);
      const { rows: competitors } = await client.query<{ jobId: string; trial: number; metric: number }>(
        'SELECT job_id AS "jobId", trial, metric FROM sweep_decisions WHERE sweep_id = $1::uuid AND rung = $2::int ORDER BY id',
        [sweepId, rung],
      );
      const continues = ashaContinues(
        trial.metric,
        competitors.map((competitor) => competitor.metric),
        spec.goal,
        spec.searcher.reductionFactor,
      );
      await client.query(
        `INSERT INTO sweep_decisions (sweep_id, job_id, trial, rung, metric, continues, competitors)
         VALUES ($1::uuid, $2::uuid, $3::int, $4::int, $5::float8, $6::boolean, $7::jsonb)`,
        [sweepId, jobId, trial.trial, rung, trial.metric, continues, JSON.stringify(competitors)],
      );
      return { continues };
    });
  }
}
