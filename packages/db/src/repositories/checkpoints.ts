/** Where each epoch's checkpoint lives in object storage. A re-run epoch replaces its row. */
import type { Checkpoint, PrismaClient } from '../../generated/prisma/client.js';
import { whileHoldingJob } from './job-fence.js';

export interface CheckpointRecord {
  epoch: number;
  step: number;
  storageKey: string;
  bytes: number;
}

export class CheckpointRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Recorded only while `workerId` holds the job; null when it no longer does (nothing written). */
  async record(jobId: string, workerId: string, checkpoint: CheckpointRecord): Promise<Checkpoint | null> {
    const values = { step: checkpoint.step, storageKey: checkpoint.storageKey, bytes: BigInt(checkpoint.bytes) };
    const written = await whileHoldingJob(this.prisma, jobId, workerId, (tx) =>
      tx.checkpoint.upsert({
        where: { jobId_epoch: { jobId, epoch: checkpoint.epoch } },
        create: { jobId, epoch: checkpoint.epoch, ...values },
        update: { ...values, createdAt: new Date() },
      }),
    );
    return written && written.value;
  }

  list(jobId: string): Promise<Checkpoint[]> {
    return this.prisma.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
  }

  latest(jobId: string): Promise<Checkpoint | null> {
    return this.prisma.checkpoint.findFirst({ where: { jobId }, orderBy: { epoch: 'desc' } });
  }

  /**
   * Forgets checkpoints other than the newest `keep` (and the one of `alsoKeepEpoch`, whatever its age)
   * and returns the forgotten ones (to delete their objects), while `workerId` holds the job; null
   * when it does not (nothing forgotten).
   */
  async prune(jobId: string, workerId: string, keep: number, alsoKeepEpoch: number | null = null): Promise<Checkpoint[] | null> {
    const pruned = await whileHoldingJob(this.prisma, jobId, workerId, async (tx) => {
      const all = await tx.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
      const old = all.slice(0, Math.max(0, all.length - keep)).filter((checkpoint) => checkpoint.epoch !== alsoKeepEpoch);
      if (old.length > 0) await tx.checkpoint.deleteMany({ where: { id: { in: old.map((c) => c.id) } } });
      return old;
    });
    return pruned && pruned.value;
  }
}
