export { openDatabase, type Database } from './database.js';
export { createPool, createPrismaClient, type PoolOptions, type PrismaClient } from './client.js';
export { ensureDatabase } from './ensure-database.js';
export { isDatabaseUnreachable } from './unreachable.js';
export { applyMigrations, readMigrations, defaultMigrationsDir, MIGRATION_LOCK_KEY, type MigrateResult } from './migrate.js';
export { generateApiKey, hashApiKey, apiKeyPrefix, looksLikeApiKey } from './api-key-secret.js';
export { encodeCursor, decodeCursor, type Page } from './pagination.js';
export { TenantRepository, type Authenticated } from './repositories/tenants.js';
export {
  JobRepository,
  type Job,
  type NewJob,
  type CreateJobResult,
  type IdempotencyRequest,
  type ListJobsOptions,
  type JobFailure,
  jobFromJson,
} from './repositories/jobs.js';
export {
  WebhookRepository,
  recordEvent,
  recordEventInTransaction,
  jobEventStatements,
  type NewEvent,
  type NewWebhook,
  type ClaimedDelivery,
  type AttemptRecord,
  type DeliveryRecord,
} from './repositories/webhooks.js';
export { SchedulerRepository, runnableAccelerators, type SchedulingPolicy, type ClaimDecision } from './repositories/scheduler.js';
export { TenantLimitError, type TenantLimitKind } from './tenant-limit.js';
export { MetricsRepository } from './repositories/metrics.js';
export { CheckpointRepository, type CheckpointRecord } from './repositories/checkpoints.js';
export { ModelRepository, modelFiles, type ModelFile, type ModelRecord } from './repositories/models.js';
export { DatasetRepository, datasetFiles, datasetReadOptions, type DatasetFile } from './repositories/datasets.js';
export { WeightsRepository, type NewWeights } from './repositories/weights.js';
export {
  SweepRepository,
  type NewSweep,
  type NewTrial,
  type SweepEventData,
  type ListSweepsOptions,
  type TrialCounts,
  type TrialRow,
  type DecisionRecord,
} from './repositories/sweeps.js';
export type { Tenant, ApiKey, Dataset, Checkpoint, Model, EpochMetric, Weights, Webhook, Sweep } from '../generated/prisma/client.js';
export { JobStatus as DbJobStatus, JobPhase as DbJobPhase } from '../generated/prisma/enums.js';
