/**
 * Uploaded datasets. A row is created as `uploading` before the first byte is stored, so that an
 * upload interrupted by a crash can be found and cleaned up (`findStaleUploads`); it becomes `ready`
 * only after the CNN package's readers accepted the files.
 */
import type { Dataset, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type pg from 'pg';
import { afterCursor, decodeCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.js';
import { inTransaction, lockTenants, storedBytes, TENANT_STORAGE_LOCK, TenantLimitError } from '../tenant-limit.js';

export interface DatasetFile {
  /** The multipart field: "images", "labels" or "file". */
  part: string;
  /** The client's file name (informational). */
  name: string;
  key: string;
  bytes: number;
}

const INSERT_UPLOADING = {
  name: 'trainyard.datasets.insert-uploading',
  text: `INSERT INTO datasets (id, tenant_id, name, storage_prefix, bytes, status)
         VALUES ($1::uuid, $2::uuid, $3, $4, $5::bigint, 'uploading') RETURNING id`,
};
const COUNT_FOR_TENANT = {
  name: 'trainyard.datasets.count-for-tenant',
  text: 'SELECT count(*)::int AS count FROM datasets WHERE tenant_id = $1::uuid',
};

export class DatasetRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * The row of a dataset whose `bytes` are about to be stored, as `uploading`. With `limits`, the
   * tenant's dataset count (MAX_DATASETS_PER_TENANT) and stored bytes (TENANT_STORAGE_QUOTA) are
   * checked in the same transaction under the tenant's lock: parallel uploads count each other, and
   * a refused one throws TenantLimitError and writes nothing.
   */
  async createUploading(
    input: { id: string; tenantId: string; name: string; storagePrefix: string; bytes?: number },
    limits?: { maxDatasets: number; quotaBytes: number },
  ): Promise<Dataset> {
    await inTransaction(this.pool, async (client) => {
      if (limits) {
        await lockTenants(client, TENANT_STORAGE_LOCK, [input.tenantId]);
        const { rows } = await client.query<{ count: number }>({ ...COUNT_FOR_TENANT, values: [input.tenantId] });
        const count = rows[0]!.count;
        if (count >= limits.maxDatasets) throw new TenantLimitError('datasets', count, limits.maxDatasets);
        const stored = await storedBytes(client, input.tenantId);
        if (stored + (input.bytes ?? 0) > limits.quotaBytes) throw new TenantLimitError('storage_quota', stored, limits.quotaBytes);
      }
      await client.query({ ...INSERT_UPLOADING, values: [input.id, input.tenantId, input.name, input.storagePrefix, input.bytes ?? 0] });
    });
    return (await this.get(input.id))!;
  }

  async markReady(
    id: string,
    result: { name?: string; format: string; summary: unknown; files: DatasetFile[]; bytes: number },
  ): Promise<Dataset> {
    return this.prisma.dataset.update({
      where: { id },
      data: {
        status: 'ready',
        ...(result.name !== undefined ? { name: result.name } : {}),
        format: result.format,
        summary: result.summary as Prisma.InputJsonValue,
        files: result.files as unknown as Prisma.InputJsonValue,
        bytes: BigInt(result.bytes),
      },
    });
  }

  get(id: string): Promise<Dataset | null> {
    return this.prisma.dataset.findUnique({ where: { id } });
  }

  findForTenant(tenantId: string, id: string): Promise<Dataset | null> {
    return this.prisma.dataset.findFirst({ where: { id, tenantId } });
  }

  async list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<Dataset> | { invalidCursor: true }> {
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    const rows = await this.prisma.dataset.findMany({
      where: { tenantId, status: 'ready', ...afterCursor(cursor) },
      orderBy: NEWEST_FIRST,
      take: options.limit + 1,
    });
    return toPage(rows, options.limit);
  }

  countForTenant(tenantId: string): Promise<number> {
    return this.prisma.dataset.count({ where: { tenantId } });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.prisma.dataset.deleteMany({ where: { id } })).count > 0;
  }

  /** Uploads that never finished (the API process died during them). */
  findStaleUploads(startedBefore: Date, limit = 100): Promise<Dataset[]> {
    return this.prisma.dataset.findMany({
      where: { status: 'uploading', createdAt: { lt: startedBefore } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }
}

export function datasetFiles(dataset: Dataset): DatasetFile[] {
  return dataset.files as unknown as DatasetFile[];
}

/** The read options an upload was validated with (imageSize, channels, testFraction), kept in its summary. */
export function datasetReadOptions(dataset: Dataset): { imageSize?: [number, number]; channels?: 1 | 3; testFraction?: number } {
  return (
    (dataset.summary as { readOptions?: { imageSize?: [number, number]; channels?: 1 | 3; testFraction?: number } } | null)?.readOptions ??
    {}
  );
}
