/**
 * The services a worker depends on go away and come back: object storage (s3rver) during a checkpoint
 * write, and Redis while a job trains. Each test starts its own server instance, never touching the
 * shared ones.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startS3rver } from '@trainyard/storage/testing';
import type { JobSpec } from '@trainyard/contracts';
import { ServiceProcess, startServices, submitJob, waitFor, waitForJob, type Services } from './harness.js';
import { startPrivateRedis } from '@trainyard/queue/private-redis';

const workers: ServiceProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.kill('SIGKILL');
    await worker.exited;
  }
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

const lenet = (epochs: number): JobSpec => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
});

function startWorker(services: Services, env: Record<string, string> = {}): ServiceProcess {
  const worker = ServiceProcess.worker({ ...services.env, ...env });
  workers.push(worker);
  return worker;
}

/** Training slowed to a known pace, so that an outage meets the job mid-training whatever the engine. */
const SLOW = { WORKER_TEST_BATCH_DELAY_MS: '20' };

/** The job is running and mid-training now: what an outage must meet. */
async function assertMidTraining(services: Services, jobId: string, epochs: number): Promise<void> {
  const job = (await services.db.jobs.get(jobId))!;
  assert.equal(job.status, 'running');
  assert.equal(job.phase, 'training');
  const done = (await services.db.checkpoints.latest(jobId))?.epoch ?? 0;
  assert.ok(done < epochs, `only ${done} of ${epochs} epochs done when the outage began`);
}

async function waitForCheckpoint(services: Services, jobId: string, epoch: number): Promise<void> {
  await waitFor(
    async () => ((await services.db.checkpoints.latest(jobId))?.epoch ?? 0) >= epoch || undefined,
    120_000,
    `checkpoint ${epoch}`,
  );
}

test('a checkpoint write during a storage outage is retried with backoff, and the job finishes once storage is back', async () => {
  const services = await startServices({ storage: 's3' });
  cleanups.push(() => services.close());
  const worker = startWorker(services, SLOW);
  const job = await submitJob(services, lenet(5));
  await waitForCheckpoint(services, job.id, 1);
  await assertMidTraining(services, job.id, 5);
  const { port, directory } = services.s3rver!;
  await services.s3rver!.stop();
  // The next epoch's checkpoint write meets the outage and retries.
  await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'storage retry', 60_000);
  services.s3rver = await startS3rver({ directory, port });
  const done = await waitForJob(services, job.id, (j) => j.status !== 'queued' && j.status !== 'running', 120_000, 'the job');
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${worker.tail()}`);
  assert.equal(done.attempts, 1, 'retried within the attempt, not by the queue');
  assert.deepEqual(
    (await services.db.metrics.list(job.id)).map((m) => m.epoch),
    [1, 2, 3, 4, 5],
  );
});

test('when storage stays down, the job fails with storage_unavailable once the retries run out', async () => {
  const services = await startServices({ storage: 's3' });
  cleanups.push(() => services.close());
  // Fewer storage tries than the default, so that the queue's three attempts end quickly.
  const worker = startWorker(services, { STORAGE_RETRY_ATTEMPTS: '2' });
  await worker.waitForLog((l) => l.msg === 'worker ready');
  await services.s3rver!.stop();
  const job = await submitJob(services, lenet(2));
  const done = await waitForJob(services, job.id, (j) => j.status === 'failed' || j.status === 'succeeded', 120_000, 'the failure');
  assert.equal(done.status, 'failed');
  assert.equal(done.errorCode, 'storage_unavailable');
  assert.match(done.errorMessage ?? '', /after 2 attempts/);
  assert.equal(done.attempts, 3, 'the queue retried it with backoff (3 attempts in these tests)');
});

test('Redis restarted while a job trains: the worker reconnects and the job finishes once, with one row per epoch', async (t) => {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.close());
  const services = await startServices({ storage: 'disk', redisUrl: redis.url });
  cleanups.push(() => services.close());
  const worker = startWorker(services, SLOW);
  const job = await submitJob(services, lenet(6));
  await waitForCheckpoint(services, job.id, 1);
  await assertMidTraining(services, job.id, 6);

  const outageAt = Date.now();
  await redis.stop();
  // Down for twice the lock duration (2 s in these tests): the job's queue lock expires meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  await redis.start();

  const done = await waitForJob(services, job.id, (j) => j.status !== 'queued' && j.status !== 'running', 120_000, 'the job');
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${worker.tail()}`);
  assert.deepEqual(
    (await services.db.metrics.list(job.id)).map((m) => m.epoch),
    [1, 2, 3, 4, 5, 6],
  );
  // Never two children on one job: every "training child started" for it came after the previous one ended.
  const starts = worker.lines.filter((l) => l.jobId === job.id && l.msg === 'training child started');
  assert.equal(starts.length, 1, 'trained by one child, start to finish');
  assert.equal(done.attempts, 1);
  // The outage reached the worker (its queue connection failed), and it carried on.
  assert.ok(
    worker.lines.some(
      (l) => (l.time as number) >= outageAt && l.level >= 40 && /queue|redis|ECONNREFUSED|connect/i.test(JSON.stringify(l)),
    ),
    `no error logged during the outage\n${worker.tail()}`,
  );
  const redelivered = worker.lines.some(
    (l) => l.jobId === job.id && l.msg === 'the queue delivered a job this worker is already running; waiting for that run instead',
  );
  t.diagnostic(
    `the queue ${redelivered ? 'handed the job out again after the restart (the worker kept its one run)' : 'kept the lock across the restart'}`,
  );
});
