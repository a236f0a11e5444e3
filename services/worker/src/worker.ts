/**
 * One worker process: takes training jobs from the queue (WORKER_CONCURRENCY at a time), runs each
 * in its own child process, listens for cancel requests, and keeps the heartbeats of its jobs.
 */
import { applyMigrations, ensureDatabase, openDatabase, type Database } from '@trainyard/db';
import { JobChannels, TrainingConsumer, TrainingQueue, WorkerRegistry } from '@trainyard/queue';
import { tmpdir } from 'node:os';
import { openStorage, removeOrphanedScratchDirs } from '@trainyard/storage';
import type { WorkerConfig } from './config.js';
import { secretsFromEnv } from '@trainyard/contracts';
import { JobLogs } from './job-log.js';
import { JobRunner } from './job-runner.js';
import { JobScheduler } from './job-scheduler.js';
import type { Logger } from './logger.js';
import { reapStaleJobs } from './reaper.js';
import { reconcileQueue } from './reconcile-queue.js';
import { retryingDatabase } from './retry-database.js';
import { detectWorkerEngine } from './worker-engine.js';

/**
 * A running job whose heartbeat is older than this many lock durations is reaped. The queue's own
 * takeover (lock expiry + stalled checks) comes first; the reaper catches what the queue lost.
 */
const REAP_AFTER_LOCKS = 6;

/** The worker's configuration with the service addresses settled (embedded defaults applied). */
export type ResolvedWorkerConfig = Omit<WorkerConfig, 'databaseUrl' | 'redisUrl'> & { databaseUrl: string; redisUrl: string };

export interface RunningWorker {
  readonly workerId: string;
  /** Ids of the jobs it is training right now. */
  runningJobIds(): string[];
  /**
   * Graceful stop (SIGTERM): takes no more jobs; running jobs checkpoint at their next batch boundary
   * and go back to the queue; resolves when all is closed.
   */
  stop(): Promise<void>;
}

export async function startWorker(config: ResolvedWorkerConfig, logger: Logger): Promise<RunningWorker> {
  // First, before any connection: a worker whose engine or GPUs fail this check must not start.
  const identity = await detectWorkerEngine(config.accelerator, config.gpus ?? []);
  logger.info(identity, 'worker engine and accelerator class');
  // Any process may be the first to start: each brings the schema up to date (under a lock).
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl, { log: (message) => logger.info(message) });
  const db: Database = openDatabase(config.databaseUrl, {
    max: Math.max(4, config.concurrency * 2 + 2),
    onError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  });
  const storage = openStorage(config.storageUrl);
  // What training children of a killed worker left in the temp folder (downloaded datasets).
  const orphans = await removeOrphanedScratchDirs(config.tempDir ?? tmpdir());
  if (orphans.length > 0) logger.info({ removed: orphans.length }, 'removed temporary folders of processes that no longer run');
  const queueSettings = { redisUrl: config.redisUrl, prefix: config.queuePrefix };
  const channels = new JobChannels(queueSettings);
  const queue = new TrainingQueue(queueSettings);
  // The job runner and the scheduler wait out a short Postgres outage; the periodic reaper and queue
  // reconciliation just try again on their next round.
  const workerDb = retryingDatabase(db);
  const scheduler = new JobScheduler(
    workerDb,
    queue,
    { accelerator: identity.accelerator, maxRunningPerTenant: config.maxRunningJobsPerTenant },
    logger,
    () => void queue.countRestored(1).catch(() => {}),
  );
  const secrets = secretsFromEnv({
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    STORAGE_URL: config.storageUrl,
  });
  const runner = new JobRunner(
    config,
    workerDb,
    storage,
    channels,
    logger,
    scheduler,
    identity.pins,
    new JobLogs(channels, storage, secrets, logger),
  );
  const registry = new WorkerRegistry(queueSettings);

  await Promise.all([db.ping(), storage.check()]);
  const unsubscribe = await channels.onCancel((jobId) => runner.cancel(jobId));
  const consumer = new TrainingConsumer(
    {
      ...queueSettings,
      concurrency: config.concurrency,
      lockDurationMs: config.lockDurationMs,
      stalledIntervalMs: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      workerName: config.workerId,
      logger,
    },
    { train: (context) => runner.run(context) },
  );
  await consumer.ready();

  let beating = false;
  // This worker's own heartbeat, in Redis for GET /metrics (idle workers report too).
  const reportAlive = () =>
    registry
      .report({
        workerId: config.workerId,
        at: new Date().toISOString(),
        concurrency: config.concurrency,
        engine: identity.engine,
        device: identity.device,
        accelerator: identity.accelerator,
        runningJobIds: runner.runningJobIds,
        imagesPerSecond: runner.imagesPerSecond,
      })
      .catch((error) => logger.debug({ err: error }, 'could not report the worker heartbeat'));
  void reportAlive();
  const heartbeat = setInterval(() => {
    void reportAlive();
    if (beating) return; // a slow database must not pile heartbeats up
    beating = true;
    runner
      .heartbeat()
      .catch((error) => logger.warn({ err: error }, 'heartbeat failed'))
      .finally(() => (beating = false));
  }, config.heartbeatMs);

  const reapAfterMs = REAP_AFTER_LOCKS * config.lockDurationMs;
  let reaping = false;
  const reap = () => {
    if (reaping) return;
    reaping = true;
    reapStaleJobs(db, queue, reapAfterMs, logger)
      .catch((error) => logger.warn({ err: error }, 'reaping stale jobs failed'))
      .finally(() => (reaping = false));
  };
  reap();
  const reaper = setInterval(reap, reapAfterMs / 2);

  const reconcile = every(config.reconcileMs, () => reconcileQueue(db, queue, logger), 'queue reconciliation failed');
  // A worker with a free slot brings the job it should run next to the front of the queue, whatever
  // order the entries are in (a job deferred for another class, a tenant that was at its limit).
  const promote = every(
    Math.max(1000, config.heartbeatMs),
    async () => {
      if (runner.runningJobIds.length < config.concurrency) await scheduler.promoteNext();
    },
    'bringing the next job forward failed',
  );

  function every(ms: number, task: () => Promise<unknown>, failure: string): NodeJS.Timeout {
    let busy = false;
    const run = () => {
      if (busy) return;
      busy = true;
      task()
        .catch((error) => logger.warn({ err: error }, failure))
        .finally(() => (busy = false));
    };
    run();
    return setInterval(run, ms);
  }

  logger.info({ concurrency: config.concurrency, storage: storage.description, queuePrefix: config.queuePrefix }, 'worker ready');

  let stopping: Promise<void> | null = null;
  return {
    workerId: config.workerId,
    runningJobIds: () => runner.runningJobIds,
    stop() {
      stopping ??= (async () => {
        logger.info({ running: runner.runningJobIds }, 'worker stopping: handing running jobs back');
        runner.beginShutdown();
        await consumer.close();
        clearInterval(heartbeat);
        clearInterval(reaper);
        clearInterval(reconcile);
        clearInterval(promote);
        await unsubscribe().catch(() => {});
        await registry.remove(config.workerId).catch(() => {});
        await registry.close();
        await channels.close();
        await queue.close();
        await storage.close();
        await db.close();
        logger.info('worker stopped');
      })();
      return stopping;
    },
  };
}
