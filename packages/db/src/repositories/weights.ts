/**
 * Uploaded pretrained weights. Like a dataset, a row is `uploading` before its file is stored, so that
 * an upload interrupted by a crash is found and cleaned up (`findStaleUploads`), and `ready` once the
 * file is stored and inspected.
 */
import type { Prisma, PrismaClient, Weights } from '../../generated/prisma/client.js';
import type pg from 'pg';
import { afterCursor, decodeCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.js';
import { inTransaction, lockTenants, storedBytes, TENANT_STORAGE_LOCK, TenantLimitError } from '../tenant-limit.js';

export interface NewWeights {
  id: string;
  tenantId: string;
  name: string;
  architecture: string;
  storageKey: string;
  /** Size of the file about to be stored (counted by TENANT_STORAGE_QUOTA from now on). */
  bytes?: number;
}

const INSERT_UPLOADING = {
  name: 'trainyard.weights.insert-uploading',
  text: `INSERT INTO weights (id, tenant_id, name, architecture, storage_key, bytes, status)
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::bigint, 'uploading')`,
};

export class WeightsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * The row of weights about to be stored, as `uploading`. With `limits`, the tenant's stored bytes
   * (TENANT_STORAGE_QUOTA) are checked in the same transaction under the tenant's storage lock, the
   * one dataset uploads take: parallel uploads count each other, and a refused one throws
   * TenantLimitError and writes nothing.
   */
  async createUploading(input: NewWeights, limits?: { quotaBytes: number }): Promise<Weights> {
    await inTransaction(this.pool, async (client) => {
      if (limits) {
        await lockTenants(client, TENANT_STORAGE_LOCK, [input.tenantId]);
        const stored = await storedBytes(client, input.tenantId);
        if (stored + (input.bytes ?? 0) > limits.quotaBytes) throw new TenantLimitError('storage_quota', stored, limits.quotaBytes);
      }
      await client.query({
        ...INSERT_UPLOADING,
        values: [input.id, input.tenantId, input.name, input.architecture, input.storageKey, input.bytes ?? 0],
      });
    });
    return (await this.get(input.id))!;
  }

  markReady(id: string, result: { format: string; summary: unknown; bytes: number }): Promise<Weights> {
    return this.prisma.weights.update({
      where: { id },
      data: { status: 'ready', format: result.format, summary: result.summary as Prisma.InputJsonValue, bytes: BigInt(result.bytes) },
    });
  }

  get(id: string): Promise<Weights | null> {
    return this.prisma.weights.findUnique({ where: { id } });
  }

  findForTenant(tenantId: string, id: string): Promise<Weights | null> {
    return this.prisma.weights.findFirst({ where: { id, tenantId } });
  }

  async list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<Weights> | { invalidCursor: true }> {
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    const rows = await this.prisma.weights.findMany({
      where: { tenantId, status: 'ready', ...afterCursor(cursor) },
      orderBy: NEWEST_FIRST,
      take: options.limit + 1,
    });
    return toPage(rows, options.limit);
  }

  countForTenant(tenantId: string): Promise<number> {
    return this.prisma.weights.count({ where: { tenantId } });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.prisma.weights.deleteMany({ where: { id } })).count > 0;
  }

  /** Uploads that never finished (the API process died during them). */
  findStaleUploads(startedBefore: Date, limit = 100): Promise<Weights[]> {
    return this.prisma.weights.findMany({
      where: { status: 'uploading', createdAt: { lt: startedBefore } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }
}
