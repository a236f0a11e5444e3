import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { jobKeys } from '@trainyard/storage';
import { servicesForTests, submitJob, waitForJob } from './harness.js';
import { claimJob, databaseInternals } from '@trainyard/db/testing';

const fixture = servicesForTests({ storage: 'disk' });

test('a worker process trains a queued job and records every result', async () => {
  const worker = fixture.startWorker();
  const job = await submitJob(fixture.services, {
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 2, batchSize: 64, validationSplit: 0.1 },
  });
  // Training yields the CPU to the fixture.services that answer requests (WORKER_TRAINING_NICE, default 10).
  const started = await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'training child started');
  assert.equal(getPriority(started.pid as number), 10);
  const done = await waitForJob(
    fixture.services,
    job.id,
    (j) => j.status !== 'queued' && j.status !== 'running',
    120_000,
    'the job to finish',
  ).catch((error) => {
    throw new Error(`${error.message}\n${worker.tail()}`);
  });
  assert.equal(done.status, 'succeeded', `${done.errorCode}: ${done.errorMessage}\n${worker.tail()}`);
  assert.equal(done.attempts, 1);
  assert.ok(done.engine, 'engine recorded');
  assert.equal((done.device as { kind: string } | null)?.kind, 'cpu', 'device recorded');
  const trainingOn = await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'training on');
  assert.deepEqual(trainingOn.device, done.device, 'the log names the device');
  assert.ok(done.startedAt && done.finishedAt);
  const evaluation = (await fixture.services.db.jobs.evaluation(job.id)) as { top1: number; examples: number; confusionMatrix: number[][] };
  assert.equal(evaluation.examples, 500);
  assert.ok(evaluation.top1 > 0.5, `top1 ${evaluation.top1}`);

  const metrics = await fixture.services.db.metrics.list(job.id);
  assert.deepEqual(
    metrics.map((m) => m.epoch),
    [1, 2],
  );
  assert.ok(metrics.every((m) => m.validationAccuracy !== null));

  const checkpoints = await fixture.services.db.checkpoints.list(job.id);
  assert.deepEqual(
    checkpoints.map((c) => [c.epoch, c.step]),
    [
      [1, 0],
      [2, 0],
    ],
  );
  for (const checkpoint of checkpoints)
    assert.equal((await fixture.services.storage.head(checkpoint.storageKey))?.size, Number(checkpoint.bytes));

  const model = await fixture.services.db.models.get(job.id);
  assert.ok(model);
  const keys = jobKeys(job.id);
  assert.equal(model.storagePrefix, keys.modelPrefix);
  const paths = (model.files as Array<{ path: string }>).map((f) => f.path);
  assert.ok(paths.includes('model.json') && paths.includes('manifest.json'), paths.join());
  assert.ok(await fixture.services.storage.exists(keys.modelBundle));

  // The child's clock splits the run into its steps (bench/service/job-overhead.mjs reads them).
  const timings = (await worker.waitForLog((l) => l.jobId === job.id && l.msg === 'job timings')).timings as Record<string, number>;
  for (const step of ['engine', 'dataset', 'modelBuild', 'training', 'evaluation', 'export', 'upload', 'checkpointUploads']) {
    assert.ok(typeof timings[step] === 'number' && timings[step] >= 0, `${step}: ${JSON.stringify(timings)}`);
  }

  // Every line the worker logged about this job carries its id.
  const jobLines = worker.lines.filter((line) => JSON.stringify(line).includes(job.id));
  assert.ok(jobLines.length > 3);
  assert.ok(
    jobLines.every((line) => line.jobId === job.id),
    'jobId on every job line',
  );
});

test('a running job whose worker vanished with its queue entry is reaped at start-up and runs again', async () => {
  const job = await submitJob(
    fixture.services,
    {
      model: { architecture: 'lenet5' },
      dataset: { builtin: 'synthetic' },
      hyperparameters: { epochs: 1 },
    },
    { enqueue: false },
  );
  // A worker that claimed it a minute ago and vanished, and a queue that lost the entry.
  assert.ok(await claimJob(fixture.services.db, job.id, 'ghost-worker'));
  await databaseInternals(fixture.services.db).prisma.job.update({
    where: { id: job.id },
    data: { heartbeatAt: new Date(Date.now() - 60_000) },
  });
  assert.equal(await fixture.services.queue.state(job.id), 'missing');

  const worker = fixture.startWorker();
  const done = await waitForJob(
    fixture.services,
    job.id,
    (j) => j.status === 'succeeded' || j.status === 'failed',
    60_000,
    'the reaped job',
  );
  assert.equal(done.status, 'succeeded', worker.tail());
  assert.equal(done.attempts, 2);
  assert.ok(worker.lines.some((l) => l.jobId === job.id && l.msg === 'requeued a job whose worker stopped beating'));
});
