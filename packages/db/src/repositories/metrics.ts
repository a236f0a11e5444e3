/** One metrics row per epoch and job; an epoch run again (after a resume) replaces its row. */
import type { EpochMetricsView } from '@trainyard/contracts';
import { Prisma, type EpochMetric, type PrismaClient } from '../../generated/prisma/client.js';
import { columnsAs } from '../raw-rows.js';
import { whileHoldingJob, type Transaction } from './job-fence.js';

/**
 * Rewrites a job's job_final_metrics rows from its last recorded epoch (none without epochs), one row
 * per metric it has (the names of EPOCH_METRIC_NAMES in @trainyard/contracts). GET /v1/jobs filters
 * and sorts on these rows; they are written in the transaction that writes the epochs.
 */
async function refreshFinalMetrics(tx: Transaction, jobId: string): Promise<void> {
  await tx.$executeRaw`DELETE FROM job_final_metrics WHERE job_id = ${jobId}::uuid`;
  await tx.$executeRaw`
    INSERT INTO job_final_metrics (job_id, tenant_id, name, value)
    SELECT latest.job_id, jobs.tenant_id, metric.name, metric.value
    FROM (SELECT * FROM epoch_metrics WHERE job_id = ${jobId}::uuid ORDER BY epoch DESC LIMIT 1) AS latest
    JOIN jobs ON jobs.id = latest.job_id
    CROSS JOIN LATERAL (VALUES ('trainLoss', latest.train_loss), ('trainAccuracy', latest.train_accuracy),
                               ('validationLoss', latest.validation_loss), ('validationAccuracy', latest.validation_accuracy),
                               ('learningRate', latest.learning_rate), ('seconds', latest.seconds),
                               ('imagesPerSecond', latest.images_per_second)) AS metric(name, value)
    WHERE metric.value IS NOT NULL AND metric.value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`;
}

const EPOCH_METRIC_COLUMNS = Prisma.raw(columnsAs(Object.values(Prisma.EpochMetricScalarFieldEnum)));

export class MetricsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Written only while `workerId` holds the job; false when it no longer does (nothing written). */
  async recordEpoch(jobId: string, workerId: string, metrics: EpochMetricsView): Promise<boolean> {
    const values = {
      trainLoss: metrics.trainLoss,
      trainAccuracy: metrics.trainAccuracy,
      validationLoss: metrics.validationLoss,
      validationAccuracy: metrics.validationAccuracy,
      learningRate: metrics.learningRate,
      seconds: metrics.seconds,
      imagesPerSecond: metrics.imagesPerSecond,
    };
    const written = await whileHoldingJob(this.prisma, jobId, workerId, async (tx) => {
      await tx.epochMetric.upsert({
        where: { jobId_epoch: { jobId, epoch: metrics.epoch } },
        create: { jobId, epoch: metrics.epoch, ...values },
        update: { ...values, createdAt: new Date() },
      });
      await refreshFinalMetrics(tx, jobId);
    });
    return written !== null;
  }

  /** Every epoch of the job, ascending. */
  async list(jobId: string): Promise<EpochMetricsView[]> {
    const rows = await this.prisma.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    return rows.map(toView);
  }

  /** Every epoch of each job, ascending, by job id (a job without epochs has none in the map). */
  async listMany(jobIds: string[]): Promise<Map<string, EpochMetricsView[]>> {
    const result = new Map<string, EpochMetricsView[]>();
    if (jobIds.length === 0) return result;
    const rows = await this.prisma.epochMetric.findMany({
      where: { jobId: { in: jobIds } },
      orderBy: [{ jobId: 'asc' }, { epoch: 'asc' }],
    });
    for (const row of rows) {
      const epochs = result.get(row.jobId) ?? [];
      epochs.push(toView(row));
      result.set(row.jobId, epochs);
    }
    return result;
  }

  /**
   * For each job: its last epoch, and its best epoch (highest validation accuracy, or training accuracy
   * when the job has no validation split). Two queries whatever the number of jobs.
   */
  async summaries(jobIds: string[]): Promise<Map<string, { latest: EpochMetricsView; best: EpochMetricsView }>> {
    const result = new Map<string, { latest: EpochMetricsView; best: EpochMetricsView }>();
    if (jobIds.length === 0) return result;
    const latest = await this.prisma.$queryRaw<EpochMetric[]>`
      SELECT DISTINCT ON (job_id) ${EPOCH_METRIC_COLUMNS} FROM epoch_metrics WHERE job_id = ANY(${jobIds}::uuid[])
      ORDER BY job_id, epoch DESC`;
    const best = await this.prisma.$queryRaw<EpochMetric[]>`
      SELECT DISTINCT ON (job_id) ${EPOCH_METRIC_COLUMNS} FROM epoch_metrics WHERE job_id = ANY(${jobIds}::uuid[])
      ORDER BY job_id, COALESCE(validation_accuracy, train_accuracy) DESC, epoch DESC`;
    const bestById = new Map(best.map((row) => [row.jobId, toView(row)]));
    for (const row of latest) result.set(row.jobId, { latest: toView(row), best: bestById.get(row.jobId) ?? toView(row) });
    return result;
  }

  /**
   * The epoch of lowest validation loss, the earliest on a tie (the CNN package's bestEpoch rule, whose
   * weights restoreBestWeights exports); null without validated epochs.
   */
  async lowestValidationLossEpoch(jobId: string): Promise<number | null> {
    const row = await this.prisma.epochMetric.findFirst({
      where: { jobId, validationLoss: { not: null } },
      orderBy: [{ validationLoss: 'asc' }, { epoch: 'asc' }],
      select: { epoch: true },
    });
    return row?.epoch ?? null;
  }

  /**
   * Drops rows after `epoch` (a resume from an older checkpoint will write them again), while
   * `workerId` holds the job; null when it does not.
   */
  async deleteAfter(jobId: string, workerId: string, epoch: number): Promise<number | null> {
    const deleted = await whileHoldingJob(this.prisma, jobId, workerId, async (tx) => {
      const result = await tx.epochMetric.deleteMany({ where: { jobId, epoch: { gt: epoch } } });
      await refreshFinalMetrics(tx, jobId);
      return result;
    });
    return deleted && deleted.value.count;
  }
}

function toView(row: EpochMetric): EpochMetricsView {
  return {
    epoch: row.epoch,
    trainLoss: row.trainLoss,
    trainAccuracy: row.trainAccuracy,
    validationLoss: row.validationLoss,
    validationAccuracy: row.validationAccuracy,
    learningRate: row.learningRate,
    seconds: row.seconds,
    imagesPerSecond: row.imagesPerSecond,
  };
}
