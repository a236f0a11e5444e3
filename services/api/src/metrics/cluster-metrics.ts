/**
 * What the whole deployment is doing, read at scrape time from where it is recorded: jobs by status
 * and job durations from Postgres, queue depth and worker heartbeats from Redis (workers report to
 * the `<prefix>:workers` hash on every heartbeat; see packages/queue worker-registry.ts). Every API
 * instance therefore answers the same cluster-wide values: scrape one of them for these, or take
 * max() across instances, never sum().
 */
import { Gauge, type Metric, type Registry } from 'prom-client';
import { JOB_STATUSES } from '@trainyard/contracts';
import type { Database } from '@trainyard/db';
import type { TrainingQueue, WorkerRegistry, WorkerStatus } from '@trainyard/queue';
import type { Logger } from 'pino';
import { withTimeout } from '../queue-adapter.js';

/** Seconds; a job's duration is finished_at - started_at (its first start; retries included). */
const JOB_DURATION_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400];

/** A worker whose last heartbeat is older than this is counted as gone (and dropped after an hour). */
const WORKER_ALIVE_MS = 60_000;
const WORKER_FORGET_MS = 3_600_000;
const READ_TIMEOUT_MS = 2_000;

export interface ClusterSources {
  db: Database;
  queue: Pick<TrainingQueue, 'counts' | 'restoredCount'>;
  workers: Pick<WorkerRegistry, 'list' | 'forget'>;
  logger: Logger;
}

export function registerClusterMetrics(registry: Registry, sources: ClusterSources): void {
  const { db, queue, workers, logger } = sources;
  const failed = (what: string) => (error: unknown) => {
    logger.warn({ err: error }, `metrics: could not read ${what}`);
  };

  new Gauge({
    name: 'trainyard_queue_jobs',
    help: 'Entries in the training queue by state (waiting includes prioritized)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await withTimeout(queue.counts(), READ_TIMEOUT_MS, 'queue counts').catch(failed('the queue depth'));
      if (!counts) return;
      for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
    },
  });

  new Gauge({
    name: 'trainyard_queue_entries_restored',
    help: 'Queued jobs that had lost their queue entry and were enqueued again by the workers (since the queue was created)',
    registers: [registry],
    async collect() {
      const restored = await withTimeout(queue.restoredCount(), READ_TIMEOUT_MS, 'restored entries').catch(
        failed('restored queue entries'),
      );
      if (restored !== undefined) this.set(restored);
    },
  });

  new Gauge({
    name: 'trainyard_jobs',
    help: 'Jobs by status (all tenants)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await db.jobs.countByStatus().catch(failed('jobs by status'));
      if (!counts) return;
      for (const status of JOB_STATUSES) this.set({ status }, 0);
      for (const row of counts) this.set({ status: row.status }, row.count);
    },
  });

  // One read of the heartbeats per scrape, shared by the gauges below (the registry collects them in parallel).
  let snapshot: { at: number; statuses: Promise<WorkerStatus[] | void> } | null = null;
  const liveWorkers = async (): Promise<{ all: WorkerStatus[]; alive: WorkerStatus[] }> => {
    const now = Date.now();
    if (!snapshot || now - snapshot.at > 1_000) {
      snapshot = {
        at: now,
        statuses: withTimeout(workers.list(), READ_TIMEOUT_MS, 'worker heartbeats').catch(failed('worker heartbeats')),
      };
      void workers.forget(WORKER_FORGET_MS).catch(() => {});
    }
    const all = (await snapshot.statuses) ?? [];
    return { all, alive: all.filter((status) => now - Date.parse(status.at) <= WORKER_ALIVE_MS) };
  };
  const perWorker = (name: string, help: string, value: (status: WorkerStatus) => number, which: 'all' | 'alive') =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const status of (await liveWorkers())[which]) this.set({ worker: status.workerId }, value(status));
      },
    });

  perWorker(
    'trainyard_worker_last_heartbeat_seconds',
    "Unix time of each worker's last heartbeat (workers report every WORKER_HEARTBEAT_MS; gone ones are dropped after an hour)",
    (status) => Date.parse(status.at) / 1000,
    'all',
  );
  perWorker('trainyard_worker_running_jobs', 'Jobs each live worker is training', (status) => status.runningJobIds.length, 'alive');
  perWorker(
    'trainyard_worker_training_images_per_second',
    'Training throughput of each live worker (its running jobs together, from their latest batch)',
    (status) => status.imagesPerSecond,
    'alive',
  );
  new Gauge({
    name: 'trainyard_training_images_per_second',
    help: 'Training throughput of all live workers together',
    registers: [registry],
    async collect() {
      this.set((await liveWorkers()).alive.reduce((sum, status) => sum + status.imagesPerSecond, 0));
    },
  });
  new Gauge({
    name: 'trainyard_workers_alive',
    help: `Workers whose last heartbeat is at most ${WORKER_ALIVE_MS / 1000} s old`,
    registers: [registry],
    async collect() {
      this.set((await liveWorkers()).alive.length);
    },
  });

  // prom-client's types take only its own metric classes; a registry only calls get() and reads the name.
  registry.registerMetric(jobDurationHistogram(db, failed('job durations')) as unknown as Metric);
}

/**
 * A histogram computed from the jobs table at each scrape: cumulative counts per bucket, by final
 * status. Monotonic as long as job rows are kept, like any Prometheus histogram.
 */
function jobDurationHistogram(db: Pick<Database, 'jobs'>, onError: (error: unknown) => void) {
  const name = 'trainyard_job_duration_seconds';
  return {
    name,
    help: "Time from a job's first start to its end, by final status (from Postgres)",
    type: 'histogram',
    aggregator: 'max',
    async get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      const rows = await db.jobs.durationHistogram(JOB_DURATION_BUCKETS).catch(onError);
      for (const { status, count, sum, buckets } of rows ?? []) {
        JOB_DURATION_BUCKETS.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { le, status }, value: buckets[i]! }));
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', status }, value: count });
        values.push({ metricName: `${name}_sum`, labels: { status }, value: sum });
        values.push({ metricName: `${name}_count`, labels: { status }, value: count });
      }
      return { name, help: this.help, type: 'histogram', aggregator: 'max', values };
    },
  };
}
