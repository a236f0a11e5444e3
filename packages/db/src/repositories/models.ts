/** The exported model of a succeeded job: its files in object storage and its manifest. */
import type { Model, Prisma, PrismaClient } from '../../generated/prisma/client.js';

export interface ModelFile {
  /** Relative to the model's storage prefix: "model.json", "group1-shard1of1.bin", "manifest.json". */
  path: string;
  bytes: number;
}

export interface ModelRecord {
  storagePrefix: string;
  files: ModelFile[];
  manifest: unknown;
}

export class ModelRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async save(jobId: string, model: ModelRecord): Promise<Model> {
    const values = {
      storagePrefix: model.storagePrefix,
      files: model.files as unknown as Prisma.InputJsonValue,
      manifest: model.manifest as Prisma.InputJsonValue,
    };
    return this.prisma.model.upsert({ where: { jobId }, create: { jobId, ...values }, update: values });
  }

  get(jobId: string): Promise<Model | null> {
    return this.prisma.model.findUnique({ where: { jobId } });
  }
}

export function modelFiles(model: Model): ModelFile[] {
  return model.files as unknown as ModelFile[];
}
