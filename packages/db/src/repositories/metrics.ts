/** One metrics row per epoch and job; an epoch run again (after a resume) replaces its row. */
import type { EpochMetricsView } from '@trainyard/contracts';
import type { EpochMetric, PrismaClient } from '../../generated/prisma/client.js';

export class MetricsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async recordEpoch(jobId: string, metrics: EpochMetricsView): Promise<void> {
    const values = {
      trainLoss: metrics.trainLoss,
      trainAccuracy: metrics.trainAccuracy,
      validationLoss: metrics.validationLoss,
      validationAccuracy: metrics.validationAccuracy,
      learningRate: metrics.learningRate,
      seconds: metrics.seconds,
      imagesPerSecond: metrics.imagesPerSecond,
    };
    await this.prisma.epochMetric.upsert({
      where: { jobId_epoch: { jobId, epoch: metrics.epoch } },
      create: { jobId, epoch: metrics.epoch, ...values },
      update: { ...values, createdAt: new Date() },
    });
  }

  /** Every epoch of the job, ascending. */
  async list(jobId: string): Promise<EpochMetricsView[]> {
    const rows = await this.prisma.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    return rows.map(toView);
  }

  /** Drops rows after `epoch` (a resume from an older checkpoint will write them again). */
  async deleteAfter(jobId: string, epoch: number): Promise<number> {
    return (await this.prisma.epochMetric.deleteMany({ where: { jobId, epoch: { gt: epoch } } })).count;
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
