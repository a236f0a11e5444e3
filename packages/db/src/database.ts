/**
 * One handle on the database for a process: one repository per aggregate, over a pool and a Prisma
 * client of its own that only the repositories see (they own every query). Both services open it once
 * at start-up and close it on shutdown.
 */
import type pg from 'pg';
import { createPool, createPrismaClient, type PoolOptions, type PrismaClient } from './client.js';
import { CheckpointRepository } from './repositories/checkpoints.js';
import { DatasetRepository } from './repositories/datasets.js';
import { JobRepository } from './repositories/jobs.js';
import { MetricsRepository } from './repositories/metrics.js';
import { ModelRepository } from './repositories/models.js';
import { SchedulerRepository } from './repositories/scheduler.js';
import { TenantRepository } from './repositories/tenants.js';
import { WeightsRepository } from './repositories/weights.js';
import { WebhookRepository } from './repositories/webhooks.js';
import { SweepRepository } from './repositories/sweeps.js';

export interface Database {
  readonly tenants: TenantRepository;
  readonly jobs: JobRepository;
  /** Which queued job a free worker runs next. */
  readonly scheduler: SchedulerRepository;
  readonly metrics: MetricsRepository;
  readonly checkpoints: CheckpointRepository;
  readonly models: ModelRepository;
  readonly datasets: DatasetRepository;
  readonly weights: WeightsRepository;
  /** Webhooks, their outbox of events and its deliveries. */
  readonly webhooks: WebhookRepository;
  /** Sweeps, their trials and their ASHA decisions. */
  readonly sweeps: SweepRepository;
  /** Throws unless Postgres answers (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The pool and the client under a Database, for tests that set up or inspect rows directly (`@trainyard/db/testing`). */
export interface DatabaseInternals {
  pool: pg.Pool;
  prisma: PrismaClient;
}

const internals = new WeakMap<Database, DatabaseInternals>();

export function databaseInternals(db: Database): DatabaseInternals {
  const found = internals.get(db);
  if (!found) throw new Error('not a Database made by openDatabase');
  return found;
}

export function openDatabase(connectionString: string, options: PoolOptions = {}): Database {
  const pool = createPool(connectionString, options);
  const prisma = createPrismaClient(pool);
  const db: Database = {
    tenants: new TenantRepository(prisma, pool),
    jobs: new JobRepository(prisma, pool),
    scheduler: new SchedulerRepository(pool),
    metrics: new MetricsRepository(prisma),
    checkpoints: new CheckpointRepository(prisma),
    models: new ModelRepository(prisma),
    datasets: new DatasetRepository(prisma, pool),
    weights: new WeightsRepository(prisma, pool),
    webhooks: new WebhookRepository(prisma, pool),
    sweeps: new SweepRepository(prisma, pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
  internals.set(db, { pool, prisma });
  return db;
}
