/**
 * Real services for the worker's tests: a fresh Postgres database, a fresh queue prefix on the shared
 * Redis, local-disk or s3rver storage, and workers started as real processes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, afterEach, before } from 'node:test';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { resolveJobSpec, type JobSpec } from '@trainyard/contracts';
import { openDatabase, type Database, type Job } from '@trainyard/db';
import { createTestDatabase, type TestDatabase } from '@trainyard/db/testing';
import { JobChannels, TrainingQueue } from '@trainyard/queue';
import { openStorage, type Storage } from '@trainyard/storage';
import { startS3rver, type S3rverProcess } from '@trainyard/storage/testing';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
/** The `trainyard` command, as `npm start` runs it. */
const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

export interface Services {
  scratch: string;
  database: TestDatabase;
  db: Database;
  redisUrl: string;
  queuePrefix: string;
  queue: TrainingQueue;
  channels: JobChannels;
  storageUrl: string;
  storage: Storage;
  /** The S3 server, when storage is 's3'. */
  s3rver: S3rverProcess | null;
  /** Environment for a service process using all of the above. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** `databaseServerUrl` / `redisUrl`: private servers a test restarts, instead of the shared ones. */
export async function startServices(options: { storage: 'disk' | 's3'; redisUrl?: string; databaseServerUrl?: string }): Promise<Services> {
  const scratch = await mkdtemp(join(tmpdir(), 'trainyard-worker-test-'));
  const database = await createTestDatabase({ serverUrl: options.databaseServerUrl });
  const db = openDatabase(database.url);
  const queuePrefix = `test-${randomUUID().slice(0, 8)}`;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const queueSettings = { redisUrl, prefix: queuePrefix };
  // Few retries with short waits, so that a failing test fails fast.
  const queue = new TrainingQueue(queueSettings, { attempts: 3, backoffMs: 500 });
  const channels = new JobChannels(queueSettings);
  let s3rver: S3rverProcess | null = null;
  let storageUrl: string;
  let storageEnv: Record<string, string> = {};
  if (options.storage === 's3') {
    s3rver = await startS3rver({ directory: join(scratch, 's3rver') });
    storageUrl = s3rver.storageUrl('e2e/');
    storageEnv = s3rver.env;
  } else {
    storageUrl = `file://${join(scratch, 'storage')}`;
  }
  const storage = openStorage(storageUrl, { env: storageEnv });
  return {
    scratch,
    database,
    db,
    redisUrl,
    queuePrefix,
    queue,
    channels,
    storageUrl,
    storage,
    get s3rver() {
      return s3rver;
    },
    set s3rver(next: S3rverProcess | null) {
      s3rver = next;
    },
    env: {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      STORAGE_URL: storageUrl,
      ...storageEnv,
      // Quick takeover after a SIGKILL: lock 2 s, stalled checks every 1 s.
      WORKER_LOCK_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      WORKER_HEARTBEAT_MS: '500',
      WORKER_PROGRESS_MS: '200',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    async close() {
      await queue.obliterate().catch(() => {});
      await queue.close();
      await channels.close();
      await storage.close();
      await db.close();
      await database.drop();
      await s3rver?.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** Inserts a job for a fresh tenant (or the one named) and queues it, as the API does. */
export async function submitJob(services: Services, spec: JobSpec, options: { enqueue?: boolean; tenant?: string } = {}): Promise<Job> {
  const { tenant } = await services.db.tenants.findOrCreate(options.tenant ?? `tenant-${randomUUID().slice(0, 8)}`);
  const resolved = resolveJobSpec(spec);
  const created = await services.db.jobs.create({
    tenantId: tenant.id,
    name: spec.name ?? null,
    spec: resolved as never,
    architecture: spec.model.architecture,
    datasetId: 'id' in spec.dataset ? spec.dataset.id : null,
    accelerator: resolved.resources.accelerator,
  });
  if (created.kind !== 'created') throw new Error('job not created');
  if (options.enqueue !== false) {
    await services.queue.enqueue(created.job.id);
    await services.db.jobs.markEnqueued(created.job.id);
  }
  return created.job;
}

export interface LogLine {
  level: number;
  msg: string;
  jobId?: string;
  [key: string]: unknown;
}

/** A worker (or any service) as a real process; its pino lines are parsed and kept. */
export class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(main: string, args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 30, msg: line });
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal }));
  }

  static worker(env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(WORKER_MAIN, [], env);
  }

  /** `trainyard start api|worker`, the runtime of the README. */
  static start(role: 'api' | 'worker', env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(CLI_MAIN, ['start', role], env);
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Resolves with the first log line that matches. */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return waitFor(() => this.lines.find(predicate), timeoutMs, 'a log line');
  }

  /** The last lines, for failure messages. */
  tail(count = 30): string {
    return [...this.lines.slice(-count).map((line) => JSON.stringify(line)), ...this.stderr.slice(-count)].join('\n');
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the job row until `predicate` holds. */
export async function waitForJob(
  services: Services,
  jobId: string,
  predicate: (job: Job) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Job> {
  return waitFor(
    async () => {
      const job = await services.db.jobs.get(jobId);
      return job && predicate(job) ? job : undefined;
    },
    timeoutMs,
    what,
  );
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A test file's services and worker processes, set up by servicesForTests. */
export interface ServicesFixture {
  /** Started in the file's before(). */
  readonly services: Services;
  /** A worker process on the services, killed after the test that started it. */
  startWorker(extraEnv?: Record<string, string>): ServiceProcess;
  /** `trainyard start api|worker` on the services, killed after the test that started it. */
  start(role: 'api' | 'worker', extraEnv?: Record<string, string>): ServiceProcess;
  /** The processes the current test started. */
  readonly workers: readonly ServiceProcess[];
}

/**
 * Starts the services before a test file's (or suite's) tests and closes them after; every process a
 * test starts is killed when that test ends (a worker left over from one test would take the next
 * test's jobs).
 */
export function servicesForTests(options: Parameters<typeof startServices>[0]): ServicesFixture {
  let started: Services | undefined;
  const workers: ServiceProcess[] = [];
  before(async () => {
    started = await startServices(options);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.kill('SIGKILL');
      await worker.exited;
    }
  });
  after(async () => {
    await started?.close();
  });
  const fixture: ServicesFixture = {
    get services(): Services {
      if (!started) throw new Error('the services start in before()');
      return started;
    },
    startWorker(extraEnv = {}) {
      const worker = ServiceProcess.worker({ ...fixture.services.env, ...extraEnv });
      workers.push(worker);
      return worker;
    },
    start(role, extraEnv = {}) {
      const started = ServiceProcess.start(role, { ...fixture.services.env, ...extraEnv });
      workers.push(started);
      return started;
    },
    workers,
  };
  return fixture;
}

/** An API key for `tenant` (created if new), made with `trainyard keys create` as an operator would. */
export async function createApiKey(services: Services, tenant: string): Promise<string> {
  const child = spawn(process.execPath, [CLI_MAIN, 'keys', 'create', '--tenant', tenant], {
    env: { ...process.env, DATABASE_URL: services.env.DATABASE_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr);
  return stdout.trim().split('\n').at(-1)!;
}

/** The files of a .tar.gz (a model bundle), by name. */
export async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const finished = once(extract, 'finish');
  Readable.from([bytes]).pipe(createGunzip()).pipe(extract);
  await finished;
  return files;
}
