/**
 * WORKER_MEMORY is a hard limit on each training child: a job that goes past it is killed, fails with
 * out_of_memory at once (one attempt, no retry), and the dataset its child downloaded is removed; a
 * job within the limit trains as usual. Real worker and training processes, the limit lowered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobSpec } from '@trainyard/contracts';
import { datasetKeys } from '@trainyard/storage';
import { servicesForTests, submitJob, waitForJob, type ServiceProcess } from './harness.js';

const fixture = servicesForTests({ storage: 'disk' });

/** An IDX dataset of `count` 32x32 images in 2 classes, stored and ready, for a fresh tenant. */
async function storedDataset(count: number): Promise<string> {
  const { services } = fixture;
  const { tenant } = await services.db.tenants.findOrCreate(`memory-${randomUUID().slice(0, 8)}`);
  const id = randomUUID();
  const keys = datasetKeys(id);
  const images = Buffer.alloc(16 + count * 32 * 32);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(32, 8);
  images.writeUInt32BE(32, 12);
  for (let i = 16; i < images.length; i++) images[i] = (i * 7) % 251;
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = i % 2;
  await services.storage.put(keys.file('000-images'), images);
  await services.storage.put(keys.file('001-labels'), labels);
  await services.db.datasets.createUploading({ id, tenantId: tenant.id, name: 'memory', storagePrefix: keys.root });
  await services.db.datasets.markReady(id, {
    format: 'idx',
    summary: {
      format: 'idx',
      name: 'memory',
      inputShape: [32, 32, 1],
      classNames: ['0', '1'],
      classCounts: [count / 2, count / 2],
      trainSize: count,
      testSize: 0,
    },
    files: [
      { part: 'images', name: 'train-images-idx3-ubyte', key: keys.file('000-images'), bytes: images.length },
      { part: 'labels', name: 'train-labels-idx1-ubyte', key: keys.file('001-labels'), bytes: labels.length },
    ],
    bytes: images.length + labels.length,
  });
  return id;
}

/** Runs a job far past `env.WORKER_MEMORY` and checks it ended out_of_memory on its first attempt, killed. */
async function hungryJobIsKilled(env: Record<string, string>): Promise<ServiceProcess> {
  const { services } = fixture;
  const datasetId = await storedDataset(2048);
  // Removed with the services' scratch folder.
  const scratch = mkdtempSync(join(services.scratch, 'worker-tmp-'));
  const worker = fixture.startWorker({ WORKER_TMP_DIR: scratch, ...env });
  const hungry: JobSpec = {
    model: { architecture: 'vgg11', options: { smallInput: true } },
    dataset: { id: datasetId },
    hyperparameters: { epochs: 1, batchSize: 1024, validationSplit: 0 },
  };
  const job = await submitJob(services, hungry);
  const done = await waitForJob(
    services,
    job.id,
    (j) => j.status === 'failed' || j.status === 'succeeded',
    240_000,
    'the job to end',
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n${worker.tail(40)}`);
  });
  assert.equal(done.status, 'failed', worker.tail(40));
  assert.equal(done.errorCode, 'out_of_memory', `${done.errorMessage}\n${worker.tail(40)}`);
  assert.match(done.errorMessage ?? '', /WORKER_MEMORY|out of memory/);
  assert.equal(done.attempts, 1, 'not retried');
  // Killed (by the kernel in its cgroup, or by the watchdog), not ended on its own.
  assert.ok(
    worker.lines.some((l) => l.jobId === job.id && l.msg === 'training child crashed' && l.signal === 'SIGKILL'),
    worker.tail(40),
  );
  assert.deepEqual(readdirSync(scratch), [], "the killed child's downloaded dataset is removed");
  return worker;
}

test('a child past WORKER_MEMORY is killed; its job fails with out_of_memory on its first attempt and its download is removed', async () => {
  const worker = await hungryJobIsKilled({ WORKER_MEMORY: '900mb' });

  // The same limit lets an ordinary job train.
  const { services } = fixture;
  const small = await submitJob(services, {
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 1, batchSize: 32, validationSplit: 0 },
  });
  const fine = await waitForJob(
    services,
    small.id,
    (j) => j.status === 'failed' || j.status === 'succeeded',
    240_000,
    'the small job to end',
  );
  assert.equal(fine.status, 'succeeded', `${fine.errorCode} ${fine.errorMessage}\n${worker.tail(40)}`);
});

// Where the cgroup v1 memory controller is not writable (a container's read-only one), the limit is
// V8's heap limit plus the RSS watchdog; WORKER_MEMORY_ENFORCEMENT=watchdog takes that path here too.
test('without a cgroup, the RSS watchdog kills a child past WORKER_MEMORY: out_of_memory on its first attempt', async () => {
  const worker = await hungryJobIsKilled({ WORKER_MEMORY: '900mb', WORKER_MEMORY_ENFORCEMENT: 'watchdog' });
  assert.ok(
    worker.lines.some((l) => l.msg === 'the training child went past its memory limit (WORKER_MEMORY); killing it'),
    `the watchdog killed it\n${worker.tail(40)}`,
  );
});
