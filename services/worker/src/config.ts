/**
 * The worker's configuration: the variables shared with the API (commonEnv) plus its own, each
 * checked at start-up by the contracts' env reader (every bad value reported at once).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readCnnEnv, type CnnEnv } from '@trainyard/cnn/env';
import { commonEnv, ConfigError, parsers, readEnv, type EnvValues } from '@trainyard/contracts';

const { integer, list, oneOf, optional } = parsers;

/** "0,1,3": distinct GPU indexes. */
function gpuIndexes(raw: string): number[] {
  const indexes = list(raw);
  if (indexes.length === 0 || indexes.some((index) => !/^\d{1,3}$/.test(index)) || new Set(indexes).size !== indexes.length) {
    throw new Error('must be distinct GPU indexes separated by commas, such as 0,1');
  }
  return indexes.map(Number);
}

export const workerEnv = {
  concurrency: {
    name: 'WORKER_CONCURRENCY',
    default: '1',
    description: 'Training jobs one worker process runs at once (each in its own child process)',
    parse: integer(1, 64),
  },
  lockDurationMs: {
    name: 'WORKER_LOCK_MS',
    default: '10000',
    description: "Queue lock of a running job; a killed worker's job is taken over after about this plus two stalled checks",
    parse: integer(1000, 3_600_000),
  },
  stalledIntervalMs: {
    name: 'WORKER_STALLED_INTERVAL_MS',
    default: '5000',
    description: 'How often workers look for jobs whose worker vanished',
    parse: integer(500, 3_600_000),
  },
  maxStalledCount: {
    name: 'WORKER_MAX_STALLED',
    default: '100',
    description: 'Worker losses the queue tolerates per job (WORKER_MAX_STARTS is the limit that matters)',
    parse: integer(1, 1_000_000),
  },
  maxStarts: {
    name: 'WORKER_MAX_STARTS',
    default: '10',
    description: 'Starts of one job (retries and worker losses together) before it fails with worker_lost',
    parse: integer(1, 1000),
  },
  heartbeatMs: {
    name: 'WORKER_HEARTBEAT_MS',
    default: '2000',
    description: "How often a running job's heartbeat and cancel flag are written and read",
    parse: integer(100, 600_000),
  },
  progressMs: {
    name: 'WORKER_PROGRESS_MS',
    default: '1000',
    description: 'Least time between two progress writes of one job',
    parse: integer(0, 600_000),
  },
  shutdownGraceMs: {
    name: 'WORKER_SHUTDOWN_GRACE_MS',
    default: '25000',
    description: 'On SIGTERM, how long a job may take to checkpoint and stop before its child is killed',
    parse: integer(0, 3_600_000),
  },
  cancelGraceMs: {
    name: 'WORKER_CANCEL_GRACE_MS',
    default: '10000',
    description: 'How long a cancelled job may take to stop before its child is killed',
    parse: integer(0, 3_600_000),
  },
  accelerator: {
    name: 'WORKER_ACCELERATOR',
    default: 'auto',
    description:
      'The class of jobs this worker runs (resources.accelerator gpu or cpu, plus "any"): auto detects it from the training engine (gpu on a real WebGPU adapter or a CUDA device, else cpu); gpu or cpu overrides that',
    parse: oneOf(['auto', 'cpu', 'gpu'] as const),
  },
  memoryEnforcement: {
    name: 'WORKER_MEMORY_ENFORCEMENT',
    default: 'auto',
    description:
      "How WORKER_MEMORY is enforced on each training process: auto puts it in its own cgroup v1 memory cgroup where that controller is writable, else watches it (V8's heap limit and an RSS watchdog); watchdog always watches",
    parse: oneOf(['auto', 'watchdog'] as const),
  },
  gpus: {
    name: 'WORKER_GPUS',
    description:
      'GPU indexes such as 0,1: one training child per GPU, pinned to it (CUDA_VISIBLE_DEVICES for tensorflow-gpu, the Dawn adapter of that index for webgpu), and a concurrency of one job per GPU; each GPU is checked at start',
    parse: optional(gpuIndexes),
  },
  defaultMaxRuntimeSeconds: {
    name: 'DEFAULT_MAX_RUNTIME_SECONDS',
    default: '86400',
    description: 'Run time of a job that gives no maxRuntimeSeconds; past it the job fails with timeout after a final checkpoint',
    parse: integer(1, 2_000_000),
  },
  reconcileMs: {
    name: 'WORKER_RECONCILE_MS',
    default: '30000',
    description: 'How often a worker checks that every queued job has a queue entry, and enqueues those that lost theirs',
    parse: integer(500, 3_600_000),
  },
  trainingNice: {
    name: 'WORKER_TRAINING_NICE',
    default: '10',
    description:
      'Scheduling niceness (0-19) of the training processes: where they share a machine with the API, Postgres or Redis, those get the CPU first; 0 keeps the normal priority',
    parse: integer(0, 19),
  },
  checkpointsKept: {
    name: 'CHECKPOINTS_KEPT',
    default: '3',
    description: 'Newest checkpoints kept per job (older ones are deleted from storage)',
    parse: integer(1, 1_000_000),
  },
  storageRetryAttempts: {
    name: 'STORAGE_RETRY_ATTEMPTS',
    default: '8',
    description:
      'Tries of one storage operation (backoff 0.25 s doubling to 8 s, about 30 s in all) before a job fails with storage_unavailable and is retried',
    parse: integer(1, 100),
  },
  workerId: {
    name: 'WORKER_ID',
    description: 'Name of this worker in job rows and logs (default: host-pid-random)',
    parse: optional((raw: string) => raw),
  },
  testBatchDelayMs: {
    name: 'WORKER_TEST_BATCH_DELAY_MS',
    default: '0',
    description: 'For tests only: a wait before every training batch, so that a fault test meets a job mid-training; 0 in production',
    parse: integer(0, 60_000),
  },
  tempDir: {
    name: 'WORKER_TMP_DIR',
    description: 'Where uploaded datasets are downloaded for training (default: the system temp folder)',
    parse: optional((raw: string) => raw),
  },
};

export type WorkerConfig = EnvValues<typeof commonEnv> &
  EnvValues<typeof workerEnv> & { workerId: string } & Pick<CnnEnv, 'fashionMnistDir'>;

/** Reads and checks the worker's environment; throws ConfigError listing every bad value. */
export function readWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const common = readEnv(commonEnv, env);
  const own = readEnv(workerEnv, env);
  if (own.gpus && env.WORKER_CONCURRENCY && own.concurrency !== own.gpus.length) {
    throw new ConfigError([
      `WORKER_CONCURRENCY: ${own.concurrency} disagrees with WORKER_GPUS (${own.gpus.length} GPUs, one job each); leave it unset`,
    ]);
  }
  // FASHION_MNIST_DIR is the CNN package's variable (its table): the worker hands it to its children.
  const { fashionMnistDir } = readCnnEnv(env);
  return {
    ...common,
    ...own,
    fashionMnistDir,
    concurrency: own.gpus?.length ?? own.concurrency,
    workerId: own.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  };
}
