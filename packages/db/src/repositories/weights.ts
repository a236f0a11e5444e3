/**
 * Uploaded pretrained weights. Like a dataset, a row is `uploading` before its file is stored, so that
 * an upload interrupted by a crash is found and cleaned up (`findStaleUploads`), and `ready` once the
 * file is stored and inspected.
 */
import type { Prisma, PrismaClient, Weights } from '../../generated/prisma/client.js';
import { afterCursor, decodeCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.js';

export interface NewWeights {
  id: string;
  tenantId: string;
  name: string;
  architecture: string;
  storageKey: string;
}

export class WeightsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  createUploading(input: NewWeights): Promise<Weights> {
    return this.prisma.weights.create({ data: { ...input, status: 'uploading' } });
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
