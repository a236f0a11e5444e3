/**
 * A run whose loss becomes NaN or infinite stops with training_diverged: failed at once (no retry),
 * and no model is stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobKeys } from '@trainyard/storage';
import { servicesForTests, submitJob, waitForJob } from './harness.js';

const fixture = servicesForTests({ storage: 'disk' });

test('SGD with learning rate 10, momentum 0.99 and weight decay 1 (the weights grow ninefold a step) fails with training_diverged, once, and exports no model', async () => {
  const { services } = fixture;
  const worker = fixture.startWorker();
  const job = await submitJob(services, {
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 20, batchSize: 32, validationSplit: 0, optimizer: 'sgd', learningRate: 10, momentum: 0.99, weightDecay: 1 },
  });
  const done = await waitForJob(services, job.id, (j) => j.status !== 'queued' && j.status !== 'running', 180_000, 'the job').catch(
    (error) => {
      throw new Error(`${(error as Error).message}\n${worker.tail(60)}`);
    },
  );
  assert.equal(done.status, 'failed', worker.tail());
  assert.equal(done.errorCode, 'training_diverged');
  assert.match(done.errorMessage ?? '', /loss became (NaN|-?Infinity)/);
  assert.equal(done.attempts, 1, 'a diverged run is not retried');
  assert.equal(done.phase, 'training');
  assert.equal(await services.db.models.get(job.id), null);
  assert.deepEqual(await services.storage.list(jobKeys(job.id).modelPrefix), []);
  assert.equal(await services.storage.exists(jobKeys(job.id).modelBundle), false);
  const epochs = await services.db.metrics.list(job.id);
  assert.ok(
    epochs.every((row) => Number.isFinite(row.trainLoss)),
    'no non-finite loss is recorded as an epoch',
  );
});
