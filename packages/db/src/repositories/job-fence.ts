/**
 * Writes that belong to a running job (its metrics rows, its checkpoint rows) are made only by the
 * worker that holds the job: the job row is read with FOR SHARE in the write's transaction, so a
 * takeover (requeue, cancel, failure: each an UPDATE of that row) waits for the write to finish, and
 * a worker that has lost the job writes nothing.
 */
import type { PrismaClient } from '../../generated/prisma/client.js';

export type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Runs `write` if `workerId` holds `jobId` (running); null when it does not. */
export async function whileHoldingJob<T>(
  prisma: PrismaClient,
  jobId: string,
  workerId: string,
  write: (tx: Transaction) => Promise<T>,
): Promise<{ value: T } | null> {
  return prisma.$transaction(async (tx) => {
    const held = await tx.$queryRaw<unknown[]>`
      SELECT 1 FROM jobs WHERE id = ${jobId}::uuid AND worker_id = ${workerId} AND status = 'running' FOR SHARE`;
    if (held.length === 0) return null;
    return { value: await write(tx) };
  });
}
