/**
 * Promises of the README's "Faults, limits and errors" that each need a test of their own, with real
 * worker processes: WORKER_MAX_STARTS ends in worker_lost; a child that does not stop is killed after
 * WORKER_CANCEL_GRACE_MS or WORKER_SHUTDOWN_GRACE_MS; old checkpoints leave storage; the periodic
 * reaper requeues a job whose worker vanished after start-up.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '@trainyard/contracts';
import { jobKeys } from '@trainyard/storage';
import { isProcessAlive, ServiceProcess, startServices, submitJob, waitFor, waitForJob, type Services } from './harness.js';
import { claimJob, databaseInternals } from '@trainyard/db/testing';

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
});
after(async () => {
  await services?.close();
});

function startWorker(env: Record<string, string> = {}): ServiceProcess {
  const worker = ServiceProcess.worker({ ...services.env, ...env });
  workers.push(worker);
  return worker;
}

const lenet = (epochs: number): JobSpec => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
});

const finished = (status: string) => status !== 'queued' && status !== 'running';

async function trainingChild(worker: ServiceProcess, jobId: string): Promise<number> {
  const line = await worker.waitForLog((l) => l.jobId === jobId && l.msg === 'training child started', 120_000);
  await waitForJob(services, jobId, (j) => j.status === 'running' && j.phase === 'training', 120_000, 'training');
  return line.pid as number;
}

test('WORKER_MAX_STARTS: a job whose workers keep vanishing fails with worker_lost', async () => {
  const env = { WORKER_MAX_STARTS: '1', WORKER_TEST_BATCH_DELAY_MS: '50' };
  const job = await submitJob(services, lenet(50));
  const first = startWorker(env);
  await trainingChild(first, job.id);
  first.kill('SIGKILL');
  const second = startWorker(env);
  const done = await waitForJob(services, job.id, (j) => finished(j.status), 120_000, 'the job');
  assert.equal(done.status, 'failed', second.tail());
  assert.equal(done.errorCode, 'worker_lost');
  assert.equal(done.attempts, 2);
  assert.ok(second.lines.some((l) => l.jobId === job.id && l.msg === 'taking over a job whose worker vanished'));
});

test('a cancelled job whose child does not stop is killed after WORKER_CANCEL_GRACE_MS and ends cancelled', async () => {
  // Each batch waits 20 s first: the child cannot reach a batch boundary within the grace.
  const worker = startWorker({ WORKER_CANCEL_GRACE_MS: '500', WORKER_TEST_BATCH_DELAY_MS: '20000' });
  const job = await submitJob(services, lenet(5));
  const child = await trainingChild(worker, job.id);
  const cancelledAt = Date.now();
  await services.db.jobs.requestCancel(job.id);
  await services.channels.publishCancel(job.id);
  const killed = await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'training child did not stop in time; killing it', 30_000);
  assert.equal(killed.reason, 'cancel');
  assert.equal(killed.graceMs, 500);
  const done = await waitForJob(services, job.id, (j) => finished(j.status), 30_000, 'the job');
  assert.equal(done.status, 'cancelled');
  assert.ok(Date.now() - cancelledAt < 19_000, 'killed, not waited for');
  await waitFor(() => (isProcessAlive(child) ? undefined : true), 10_000, 'the child to be gone');
});

test('on SIGTERM a child that does not stop is killed after WORKER_SHUTDOWN_GRACE_MS; the job goes back to the queue', async () => {
  const worker = startWorker({ WORKER_SHUTDOWN_GRACE_MS: '500', WORKER_TEST_BATCH_DELAY_MS: '20000' });
  const job = await submitJob(services, lenet(5));
  const child = await trainingChild(worker, job.id);
  const stoppedAt = Date.now();
  worker.kill('SIGTERM');
  const exit = await worker.exited;
  assert.equal(exit.code, 0, worker.tail());
  assert.ok(Date.now() - stoppedAt < 19_000, 'killed, not waited for');
  const killed = worker.lines.find((l) => l.jobId === job.id && l.msg === 'training child did not stop in time; killing it');
  assert.ok(killed, worker.tail());
  assert.equal(killed.reason, 'shutdown');
  assert.equal(killed.graceMs, 500);
  assert.ok(!isProcessAlive(child));
  const after = (await services.db.jobs.get(job.id))!;
  assert.equal(after.status, 'queued', 'handed back, not failed');
});

test('CHECKPOINTS_KEPT: older checkpoints are deleted from storage as well as from the database', async () => {
  const worker = startWorker({ CHECKPOINTS_KEPT: '2' });
  const job = await submitJob(services, lenet(5));
  const done = await waitForJob(services, job.id, (j) => finished(j.status), 300_000, 'the job');
  assert.equal(done.status, 'succeeded', worker.tail());
  const rows = await services.db.checkpoints.list(job.id);
  assert.deepEqual(
    rows.map((c) => c.epoch),
    [4, 5],
  );
  const objects = (await services.storage.list(jobKeys(job.id).checkpointPrefix)).map((o) => o.key).sort();
  assert.deepEqual(objects, [jobKeys(job.id).checkpoint(4), jobKeys(job.id).checkpoint(5)]);
});

test('the periodic reaper requeues a running job whose worker vanished after this worker started', async () => {
  // The job is claimed by the worker that will vanish before this worker starts: a job left `queued`
  // with no queue entry while this worker runs would be brought forward and taken by its scheduler,
  // racing the claim below. Its heartbeat stays ahead of the clock until this worker is up, so the
  // start-up pass leaves it alone however slowly the worker starts.
  const job = await submitJob(services, lenet(1), { enqueue: false });
  assert.ok(await claimJob(services.db, job.id, 'vanished-worker'));
  const setHeartbeat = (at: Date) => databaseInternals(services.db).prisma.job.update({ where: { id: job.id }, data: { heartbeatAt: at } });
  await setHeartbeat(new Date(Date.now() + 3_600_000));
  const worker = startWorker();
  await worker.waitForLog((l) => l.msg === 'worker ready');
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the start-up pass is over
  // Now the other worker's heartbeat stops: only the periodic pass can find it.
  await setHeartbeat(new Date(Date.now() - 3_600_000));
  const reaped = await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'requeued a job whose worker stopped beating', 120_000);
  assert.equal(reaped.previousWorker, 'vanished-worker');
  const done = await waitForJob(services, job.id, (j) => finished(j.status), 300_000, 'the job');
  assert.equal(done.status, 'succeeded', worker.tail());
  assert.equal(done.attempts, 2);
});
