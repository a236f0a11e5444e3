import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnreachable, type Database } from '@trainyard/db';

/** The repositories the worker uses; every method retries through a short outage. */
export type WorkerDatabase = Pick<
  Database,
  'jobs' | 'scheduler' | 'metrics' | 'checkpoints' | 'models' | 'datasets' | 'weights' | 'sweeps'
>;

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
}

/**
 * The worker's database: each repository call is retried through a short outage (a Postgres restart
 * drops every connection; the pool reconnects on the next query). Every write the worker makes is a
 * conditional update or an upsert, so running one twice is harmless.
 */
export function retryingDatabase(db: Database, options: RetryOptions = {}): WorkerDatabase {
  return {
    jobs: retrying(db.jobs, options),
    scheduler: retrying(db.scheduler, options),
    metrics: retrying(db.metrics, options),
    checkpoints: retrying(db.checkpoints, options),
    models: retrying(db.models, options),
    datasets: retrying(db.datasets, options),
    weights: retrying(db.weights, options),
    sweeps: retrying(db.sweeps, options),
  };
}

function retrying<T extends object>(repository: T, options: RetryOptions): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => retryDatabase(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), options);
    },
  });
}

async function retryDatabase<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isDatabaseUnreachable(error)) throw error;
      await sleep(Math.min(8_000, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
    }
  }
}
