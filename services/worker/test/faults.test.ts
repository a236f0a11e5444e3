/**
 * Workers that die, stop, or are told to cancel: the job is never lost, never run twice at once, and
 * resumes from its last checkpoint with exactly one metrics row per epoch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isProcessAlive, ServiceProcess, servicesForTests, submitJob, waitFor, waitForJob } from './harness.js';
import { randomUUID } from 'node:crypto';
import type { JobSpec } from '@trainyard/contracts';
import { datasetKeys } from '@trainyard/storage';

const fixture = servicesForTests({ storage: 'disk' });

/** Training slowed to a known pace, so that a kill meets the job mid-training whatever the engine. */
const SLOW = { WORKER_TEST_BATCH_DELAY_MS: '20' };

const lenet = (epochs: number): JobSpec => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
});

async function waitForMetricsRows(jobId: string, count: number): Promise<void> {
  await waitFor(
    async () => ((await fixture.services.db.metrics.list(jobId)).length >= count ? true : undefined),
    120_000,
    `${count} metrics rows`,
  );
}

/** The job is running and mid-training now: what a fault must meet. */
async function assertMidTraining(jobId: string, epochs: number): Promise<void> {
  const job = (await fixture.services.db.jobs.get(jobId))!;
  assert.equal(job.status, 'running');
  assert.equal(job.phase, 'training');
  const done = (await fixture.services.db.checkpoints.latest(jobId))?.epoch ?? 0;
  assert.ok(done < epochs, `only ${done} of ${epochs} epochs done when the fault began`);
}

/** Waits until a checkpoint after `epoch` completed epochs is recorded (what a resume starts from). */
async function waitForCheckpoint(jobId: string, epoch: number): Promise<void> {
  await waitFor(
    async () => ((await fixture.services.db.checkpoints.latest(jobId))?.epoch ?? 0) >= epoch || undefined,
    120_000,
    `checkpoint ${epoch}`,
  );
}

async function childPidOf(worker: ServiceProcess, jobId: string): Promise<number> {
  const line = await worker.waitForLog((l) => l.jobId === jobId && l.msg === 'training child started');
  return line.pid as number;
}

test('a job survives two SIGKILLed workers, resumes from its checkpoints and has one metrics row per epoch', async () => {
  const job = await submitJob(fixture.services, lenet(6));
  const first = fixture.startWorker(SLOW);
  const firstChild = await childPidOf(first, job.id);
  await waitForCheckpoint(job.id, 1);
  await assertMidTraining(job.id, 6);
  first.kill('SIGKILL');
  // The training child notices its parent is gone and exits: no orphan keeps training.
  await waitFor(() => (isProcessAlive(firstChild) ? undefined : true), 10_000, 'the orphaned child to exit');

  const second = fixture.startWorker(SLOW);
  await second
    .waitForLog((l) => l.jobId === job.id && l.msg === 'resuming from checkpoint', 60_000)
    .catch((error) => {
      throw new Error(`${error.message}\n${second.tail(60)}`);
    });
  const rowsBefore = (await fixture.services.db.checkpoints.latest(job.id))!.epoch;
  await waitForCheckpoint(job.id, rowsBefore + 1);
  await assertMidTraining(job.id, 6);
  second.kill('SIGKILL');

  const third = fixture.startWorker();
  const done = await waitForJob(
    fixture.services,
    job.id,
    (j) => j.status === 'succeeded' || j.status === 'failed',
    120_000,
    'the job to finish',
  );
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${third.tail()}`);
  assert.equal(done.attempts, 3, 'three starts: two lost workers and the one that finished');
  const resumed = third.lines.find((l) => l.jobId === job.id && l.msg === 'resuming from checkpoint');
  assert.ok(resumed, 'the third worker resumed');
  assert.ok((resumed.epoch as number) >= rowsBefore + 1, `resumed after epoch ${resumed.epoch}`);
  assert.deepEqual(
    (await fixture.services.db.metrics.list(job.id)).map((m) => m.epoch),
    [1, 2, 3, 4, 5, 6],
  );
  assert.ok(third.lines.some((l) => l.jobId === job.id && l.msg === 'taking over a job whose worker vanished'));
  assert.ok(
    second.lines.some((l) => l.jobId === job.id && l.msg === 'taking over a job whose worker vanished'),
    'the second worker took over too',
  );
});

/** The weights of a job's exported model (model.json's manifest over its shards), by name. */
async function exportedWeights(jobId: string): Promise<Map<string, Float32Array>> {
  const { storage, db } = fixture.services;
  const model = (await db.models.get(jobId))!;
  const read = async (path: string) => Buffer.from(await storage.getBytes(`${model.storagePrefix}${path}`));
  const manifest = JSON.parse((await read('model.json')).toString()) as {
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
  };
  const weights = new Map<string, Float32Array>();
  for (const group of manifest.weightsManifest) {
    const data = Buffer.concat(await Promise.all(group.paths.map(read)));
    let offset = 0;
    for (const spec of group.weights) {
      assert.equal(spec.dtype, 'float32', spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      weights.set(spec.name, new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + size * 4)));
      offset += size * 4;
    }
    assert.equal(offset, data.length, 'the shards hold exactly the weights of the manifest');
  }
  return weights;
}

test('a job SIGKILLed mid-training after a checkpoint and resumed by another worker ends with the weights of an uninterrupted run', async () => {
  // Same seed, same spec: the one difference between the two jobs is the kill. The resumed run
  // restores the weights, the optimizer's state, the random generators and the epoch's example
  // order from the checkpoint, bit for bit, and trains on the same engine with the same threads
  // in a new process: the arithmetic is the same, so the weights must be equal, not just close.
  // The checkpoint tests of the CNN package promise the same exact equality within one process.
  const epochs = 4;
  const spec: JobSpec = { ...lenet(epochs), hyperparameters: { ...lenet(epochs).hyperparameters, seed: 1234 } };
  const uninterrupted = await submitJob(fixture.services, spec);
  const straight = fixture.startWorker();
  const reference = await waitForJob(
    fixture.services,
    uninterrupted.id,
    (j) => j.status !== 'queued' && j.status !== 'running',
    300_000,
    'the uninterrupted run',
  );
  assert.equal(reference.status, 'succeeded', `${reference.errorCode} ${reference.errorMessage}\n${straight.tail()}`);
  assert.equal(reference.attempts, 1);
  straight.kill('SIGKILL');
  await straight.exited;

  const killed = await submitJob(fixture.services, spec);
  const first = fixture.startWorker(SLOW);
  const firstChild = await childPidOf(first, killed.id);
  await waitForCheckpoint(killed.id, 1);
  await assertMidTraining(killed.id, epochs);
  first.kill('SIGKILL');
  await waitFor(() => (isProcessAlive(firstChild) ? undefined : true), 10_000, 'the orphaned child to exit');
  const resumedFrom = (await fixture.services.db.checkpoints.latest(killed.id))!;

  const second = fixture.startWorker();
  const done = await waitForJob(
    fixture.services,
    killed.id,
    (j) => j.status !== 'queued' && j.status !== 'running',
    300_000,
    'the resumed run',
  );
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${second.tail()}`);
  assert.equal(done.attempts, 2);
  assert.equal(done.engine, reference.engine);
  const resumed = second.lines.find((l) => l.jobId === killed.id && l.msg === 'resuming from checkpoint');
  assert.ok(resumed, 'the second worker resumed from the checkpoint');
  assert.deepEqual([resumed.epoch, resumed.stepInEpoch], [resumedFrom.epoch, resumedFrom.step]);
  assert.ok(resumedFrom.epoch < epochs, 'training went on after the resume');

  const expected = await exportedWeights(uninterrupted.id);
  const actual = await exportedWeights(killed.id);
  assert.deepEqual([...actual.keys()], [...expected.keys()]);
  for (const [name, values] of expected) {
    const other = actual.get(name)!;
    let maxDifference = 0;
    for (let i = 0; i < values.length; i++) maxDifference = Math.max(maxDifference, Math.abs(values[i]! - other[i]!));
    assert.equal(maxDifference, 0, `${name}: the resumed run's weights differ by up to ${maxDifference}`);
  }
  // The epochs before and after the kill are each recorded once, with the uninterrupted run's losses.
  const lossesOf = async (jobId: string) => (await fixture.services.db.metrics.list(jobId)).map((m) => [m.epoch, m.trainLoss]);
  assert.deepEqual(await lossesOf(killed.id), await lossesOf(uninterrupted.id));
});

test('SIGTERM checkpoints mid-epoch, hands the job back and exits; the next worker resumes it', async () => {
  // Enough epochs that the run is still going when the stop arrives, on the fastest engine too
  // (the synthetic set is small: an epoch takes a fraction of a second on the oneDNN engine).
  const epochs = 20;
  const job = await submitJob(fixture.services, lenet(epochs));
  const first = fixture.startWorker();
  // Past the first epoch: the stop lands at whatever batch boundary comes next, usually mid-epoch.
  await waitForJob(
    fixture.services,
    job.id,
    (j) => {
      const progress = j.progress as { epoch: number; step: number } | null;
      return progress !== null && progress.epoch >= 2 && progress.step >= 1;
    },
    60_000,
    'the second epoch',
  );
  first.kill('SIGTERM');
  const exit = await first.exited;
  assert.equal(exit.code, 0, first.tail());
  const handedBack = await fixture.services.db.jobs.get(job.id);
  assert.equal(handedBack?.status, 'queued', 'back in the queue');
  assert.equal(await fixture.services.queue.state(job.id), 'waiting');
  const checkpoint = await fixture.services.db.checkpoints.latest(job.id);
  assert.ok(checkpoint, 'a checkpoint was recorded');
  const resumedFrom = { epoch: checkpoint.epoch, step: checkpoint.step };

  const second = fixture.startWorker();
  const done = await waitForJob(
    fixture.services,
    job.id,
    (j) => j.status === 'succeeded' || j.status === 'failed',
    120_000,
    'the job to finish',
  );
  assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${second.tail()}`);
  assert.equal(done.attempts, 2);
  const resumed = second.lines.find((l) => l.jobId === job.id && l.msg === 'resuming from checkpoint');
  assert.ok(resumed);
  assert.deepEqual({ epoch: resumed.epoch, step: resumed.stepInEpoch }, resumedFrom);
  assert.deepEqual(
    (await fixture.services.db.metrics.list(job.id)).map((m) => m.epoch),
    Array.from({ length: epochs }, (_, i) => i + 1),
  );
});

test('cancel stops a running job (by pub/sub, or by the database flag alone) and frees the worker', async () => {
  const worker = fixture.startWorker();
  for (const via of ['pubsub', 'database'] as const) {
    const job = await submitJob(fixture.services, lenet(50));
    await waitForMetricsRows(job.id, 1);
    assert.equal(await fixture.services.db.jobs.requestCancel(job.id), true);
    if (via === 'pubsub') await fixture.services.channels.publishCancel(job.id);
    const done = await waitForJob(fixture.services, job.id, (j) => j.status !== 'running', 30_000, `cancel via ${via}`);
    assert.equal(done.status, 'cancelled', `${via}: ${done.errorCode} ${done.errorMessage}`);
    assert.ok((await fixture.services.db.checkpoints.list(job.id)).length > 0, 'checkpoints kept');
    assert.ok((await fixture.services.db.metrics.list(job.id)).length < 50);
  }
  const next = await submitJob(fixture.services, lenet(1));
  const done = await waitForJob(
    fixture.services,
    next.id,
    (j) => j.status === 'succeeded' || j.status === 'failed',
    60_000,
    'the next job',
  );
  assert.equal(done.status, 'succeeded', worker.tail());
});

test('a job that cannot work fails at once with its code and is not retried', async () => {
  fixture.startWorker();
  // AlexNet needs far more than 28x28 pixels.
  const job = await submitJob(fixture.services, { model: { architecture: 'alexnet' }, dataset: { builtin: 'synthetic' } });
  const done = await waitForJob(fixture.services, job.id, (j) => j.status === 'failed', 60_000, 'the failure');
  assert.equal(done.errorCode, 'input_too_small');
  assert.ok(done.errorMessage && done.errorMessage.length > 10);
  assert.equal(done.attempts, 1);
  await waitFor(
    async () => ((await fixture.services.queue.state(job.id)) === 'failed' ? true : undefined),
    10_000,
    'the queue entry to fail',
  );
});

test('a dataset corrupted in storage after its upload fails the job at once with dataset_malformed', async () => {
  fixture.startWorker();
  const { tenant } = await fixture.services.db.tenants.findOrCreate('corrupt');
  const id = randomUUID();
  const keys = datasetKeys(id);
  // An IDX pair whose images file claims 100 images of 28x28 but holds 10 (the labels are whole).
  const images = Buffer.alloc(16 + 10 * 28 * 28);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(100, 4);
  images.writeUInt32BE(28, 8);
  images.writeUInt32BE(28, 12);
  const labels = Buffer.alloc(8 + 100);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(100, 4);
  for (let i = 0; i < 100; i++) labels[8 + i] = i % 2;
  await fixture.services.storage.put(keys.file('000-images'), images);
  await fixture.services.storage.put(keys.file('001-labels'), labels);
  await fixture.services.db.datasets.createUploading({ id, tenantId: tenant.id, name: 'corrupt', storagePrefix: keys.root });
  await fixture.services.db.datasets.markReady(id, {
    format: 'idx',
    summary: {
      format: 'idx',
      name: 'corrupt',
      inputShape: [28, 28, 1],
      classNames: ['0', '1'],
      classCounts: [50, 50],
      trainSize: 100,
      testSize: 0,
    },
    files: [
      { part: 'images', name: 'train-images-idx3-ubyte', key: keys.file('000-images'), bytes: images.length },
      { part: 'labels', name: 'train-labels-idx1-ubyte', key: keys.file('001-labels'), bytes: labels.length },
    ],
    bytes: images.length + labels.length,
  });
  const job = await submitJob(fixture.services, { model: { architecture: 'lenet5' }, dataset: { id } }, { tenant: 'corrupt' });
  const done = await waitForJob(fixture.services, job.id, (j) => j.status === 'failed' || j.status === 'succeeded', 60_000, 'the failure');
  assert.equal(done.status, 'failed');
  assert.equal(done.errorCode, 'dataset_malformed', done.errorMessage ?? '');
  assert.equal(done.attempts, 1, 'not retried');
  await waitFor(
    async () => ((await fixture.services.queue.state(job.id)) === 'failed' ? true : undefined),
    10_000,
    'the queue entry to fail',
  );
});

test('maxRuntimeSeconds ends the job as failed with code timeout, after a final checkpoint', async () => {
  fixture.startWorker();
  const job = await submitJob(fixture.services, { ...lenet(500), maxRuntimeSeconds: 4 });
  const done = await waitForJob(fixture.services, job.id, (j) => j.status !== 'queued' && j.status !== 'running', 60_000, 'the timeout');
  assert.equal(done.status, 'failed');
  assert.equal(done.errorCode, 'timeout');
  const elapsed = done.finishedAt!.getTime() - done.startedAt!.getTime();
  assert.ok(elapsed >= 4000, `ended after ${elapsed} ms`);
  const latest = await fixture.services.db.checkpoints.latest(job.id);
  assert.ok(latest, 'a checkpoint was kept');
  assert.ok(await fixture.services.storage.exists(latest.storageKey));
  assert.equal(done.attempts, 1, 'not retried');
});
