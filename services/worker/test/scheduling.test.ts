/**
 * The scheduler with real worker processes: tenants take turns on a busy worker, a worker runs only
 * the jobs of its accelerator class, a queued job that lost its queue entry runs anyway, and a job
 * without maxRuntimeSeconds stops at DEFAULT_MAX_RUNTIME_SECONDS.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '@trainyard/contracts';
import type { Job } from '@trainyard/db';
import { ServiceProcess, startServices, submitJob, waitForJob, type Services } from './harness.js';
import { databaseInternals } from '@trainyard/db/testing';

let services: Services;
const workers: ServiceProcess[] = [];
before(async () => {
  services = await startServices({ storage: 'disk' });
});
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.kill('SIGKILL');
    await worker.exited;
  }
  // Nothing of one test may be left for the next one's workers.
  await databaseInternals(services.db).prisma.job.updateMany({
    where: { status: { in: ['queued', 'running'] } },
    data: { status: 'cancelled' },
  });
  await services.queue.obliterate();
});
after(async () => {
  await services?.close();
});

async function startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const worker = ServiceProcess.worker({ ...services.env, ...env });
  workers.push(worker);
  await worker.waitForLog((line) => line.msg === 'worker ready');
  return worker;
}

const lenet = (epochs: number, accelerator?: 'any' | 'gpu' | 'cpu'): JobSpec => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
  ...(accelerator ? { resources: { accelerator } } : {}),
});

async function cancel(jobId: string): Promise<void> {
  await services.db.jobs.requestCancel(jobId);
  await services.channels.publishCancel(jobId);
}

const training = (job: Job) => job.status === 'running' && job.phase === 'training';
const finished = (job: Job) => job.status !== 'queued' && job.status !== 'running';

test("with one worker, a tenant that submits after another queued three long jobs starts before that tenant's second", async () => {
  const worker = await startWorker();
  const a: Job[] = [];
  for (let i = 1; i <= 3; i++) a.push(await submitJob(services, { ...lenet(1000), name: `a${i}` }, { tenant: 'tenant-a' }));
  const b1 = await submitJob(services, { ...lenet(1000), name: 'b1' }, { tenant: 'tenant-b' });
  await waitForJob(services, a[0]!.id, training, 120_000, 'a1 training');

  await cancel(a[0]!.id);
  const b1Running = await waitForJob(services, b1.id, training, 120_000, `b1 training\n${worker.tail()}`);
  const a2 = (await services.db.jobs.get(a[1]!.id))!;
  assert.equal(a2.status, 'queued', "tenant A's second job waits while B's runs");
  assert.equal(a2.startedAt, null);
  assert.equal((await services.db.jobs.get(a[0]!.id))!.status, 'cancelled');
  // The worker was handed a2's entry first (it is older) and stepped back for b1.
  assert.ok(
    worker.lines.some((l) => l.jobId === a[1]!.id && l.msg === 'another job goes first; the job waits in the queue' && l.next === b1.id),
    worker.tail(),
  );

  await cancel(b1.id);
  const a2Running = await waitForJob(services, a[1]!.id, training, 120_000, 'a2 training');
  assert.ok(a2Running.startedAt! > b1Running.startedAt!);
});

test('a worker runs only the jobs of its accelerator class and the "any" jobs', async () => {
  const cpu = await startWorker({ WORKER_ID: 'cpu-worker' });
  const gpuJob = await submitJob(services, lenet(1, 'gpu'));
  const anyJob = await submitJob(services, lenet(1, 'any'));
  const cpuJob = await submitJob(services, lenet(1, 'cpu'));
  for (const job of [anyJob, cpuJob]) {
    const done = await waitForJob(services, job.id, finished, 300_000, `job ${job.name}`);
    assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}`);
    assert.equal(done.workerId, 'cpu-worker');
  }
  const waiting = (await services.db.jobs.get(gpuJob.id))!;
  assert.equal(waiting.status, 'queued', 'no cpu worker takes a gpu job');
  assert.equal(waiting.attempts, 0);
  assert.ok(
    cpu.lines.some((l) => l.jobId === gpuJob.id && l.reason === 'other_class'),
    cpu.tail(),
  );

  await startWorker({ WORKER_ID: 'gpu-worker', WORKER_ACCELERATOR: 'gpu' });
  const done = await waitForJob(services, gpuJob.id, finished, 300_000, 'the gpu job');
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}`);
  assert.equal(done.workerId, 'gpu-worker');
});

test('a queued job whose queue entry is gone runs anyway within one reconciliation period, with a log line and a metric', async () => {
  const reconcileMs = 3_000;
  const worker = await startWorker({ WORKER_RECONCILE_MS: String(reconcileMs) });
  // Lost as Redis data loss would lose it: Postgres says enqueued, the queue has no entry.
  const job = await submitJob(services, lenet(1), { enqueue: false });
  assert.ok(await services.db.jobs.markEnqueued(job.id));
  const lostAt = Date.now();
  const stateAtLoss = await services.queue.state(job.id);
  const checkedAt = Date.now();
  const restored = await worker.waitForLog((l) => l.jobId === job.id && l.code === 'queue_entry_restored', 60_000);
  // The entry was gone, unless the idle worker's scheduler had already put it back (CI once saw 'active' here).
  assert.ok(
    stateAtLoss === 'missing' || (restored.time as number) <= checkedAt,
    `the entry was ${stateAtLoss} before any worker restored it`,
  );
  const done = await waitForJob(services, job.id, finished, 120_000, 'the job');
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}`);
  // Generous for a loaded machine: the pass runs every reconcileMs (the log time is the worker's clock).
  assert.ok((restored.time as number) - lostAt < reconcileMs + 5_000, `restored ${(restored.time as number) - lostAt} ms after the loss`);
  assert.ok((await services.queue.restoredCount()) >= 1);
});

test('a job without maxRuntimeSeconds stops at DEFAULT_MAX_RUNTIME_SECONDS and fails with timeout', async () => {
  const worker = await startWorker({ DEFAULT_MAX_RUNTIME_SECONDS: '20' });
  const job = await submitJob(services, lenet(1000));
  const done = await waitForJob(services, job.id, finished, 120_000, 'the job');
  assert.equal(done.status, 'failed');
  assert.equal(done.errorCode, 'timeout');
  assert.equal(done.phase, 'training', `stopped mid-training\n${worker.tail(40)}`);
  assert.ok((await services.db.checkpoints.latest(job.id)) !== null, 'a final checkpoint is kept');
});
