/** Where each epoch's checkpoint lives in object storage. A re-run epoch replaces its row. */
import type { Checkpoint, PrismaClient } from '../../generated/prisma/client.js';

export interface CheckpointRecord {
  epoch: number;
  step: number;
  storageKey: string;
  bytes: number;
}

export class CheckpointRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async record(jobId: string, checkpoint: CheckpointRecord): Promise<Checkpoint> {
    const values = { step: checkpoint.step, storageKey: checkpoint.storageKey, bytes: BigInt(checkpoint.bytes) };
    return this.prisma.checkpoint.upsert({
      where: { jobId_epoch: { jobId, epoch: checkpoint.epoch } },
      create: { jobId, epoch: checkpoint.epoch, ...values },
      update: { ...values, createdAt: new Date() },
    });
  }

  list(jobId: string): Promise<Checkpoint[]> {
    return this.prisma.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
  }

  latest(jobId: string): Promise<Checkpoint | null> {
    return this.prisma.checkpoint.findFirst({ where: { jobId }, orderBy: { epoch: 'desc' } });
  }

  /**
   * Forgets checkpoints other than the newest `keep` (and the one of `alsoKeepEpoch`, whatever its age)
   * and returns the forgotten ones (to delete their objects).
   */
  async prune(jobId: string, keep: number, alsoKeepEpoch: number | null = null): Promise<Checkpoint[]> {
    const all = await this.list(jobId);
    const old = all.slice(0, Math.max(0, all.length - keep)).filter((checkpoint) => checkpoint.epoch !== alsoKeepEpoch);
    if (old.length > 0) await this.prisma.checkpoint.deleteMany({ where: { id: { in: old.map((c) => c.id) } } });
    return old;
  }
}
