/**
 * GPU workers, with real worker processes: the start-up check (a worker whose engine sees no CUDA
 * device exits saying so) and WORKER_GPUS (one training child per GPU, each pinned to its own, jobs
 * training on both at once).
 * tfjs-node-gpu cannot install here, so the tensorflow-gpu engine runs on the one stand-in allowed
 * (stand-in/tfjs-node-gpu.ts: the device check of tfjs-node-gpu, tfjs's cpu kernels), loaded into the
 * worker, its engine probes and its children through NODE_OPTIONS. The webgpu pin is checked on the
 * one WebGPU adapter this machine has (llvmpipe): adapter 0 is pinned, adapter 1 does not exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSpec } from '@trainyard/contracts';
import { servicesForTests, submitJob, waitForJob, type ServiceProcess } from './harness.js';

const fixture = servicesForTests({ storage: 'disk' });

const STAND_IN_REGISTER = fileURLToPath(new URL('./stand-in/register.js', import.meta.url));

/** The environment of a worker whose tensorflow-gpu engine is the stand-in on a machine with `devices`. */
function standIn(devices: string, report: string): Record<string, string> {
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${STAND_IN_REGISTER}`.trim(),
    TFJS_NODE_GPU_STAND_IN_DEVICES: devices,
    TFJS_NODE_GPU_STAND_IN_REPORT: report,
  };
}

interface StandInReport {
  pid: number;
  cudaVisibleDevices: string | null;
  allowGrowth: string | null;
  visible: string[];
}

async function readReports(path: string): Promise<StandInReport[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StandInReport);
}

/** Waits for the worker to exit on its own; returns its exit code and what it wrote to stderr. */
async function exitOf(worker: ServiceProcess): Promise<{ code: number | null; stderr: string }> {
  const timeout = setTimeout(() => worker.kill('SIGKILL'), 180_000);
  const { code } = await worker.exited;
  clearTimeout(timeout);
  return { code, stderr: worker.stderr.join('\n') };
}

const lenet: JobSpec = {
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs: 1, batchSize: 64, validationSplit: 0 },
};

test('a tensorflow-gpu worker whose engine sees no CUDA device exits with a clear message before it connects to the queue', async () => {
  const report = join(fixture.services.scratch, 'no-device.jsonl');
  const worker = fixture.startWorker({ ...standIn('', report), TRAINYARD_ENGINE: 'tensorflow-gpu' });
  const { code, stderr } = await exitOf(worker);
  assert.equal(code, 1, worker.tail());
  assert.match(stderr, /^worker cannot start: .*engine 'tensorflow-gpu' cannot be loaded: .*libtensorflow sees no CUDA device/m);
  assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace');
  assert.ok(!worker.lines.some((line) => line.msg === 'worker ready'));
  const [probe] = await readReports(report);
  assert.deepEqual(probe?.visible, [], 'the check ran against the stand-in');
});

test('WORKER_GPUS=0,1 on a machine with only GPU 0: the worker exits naming GPU 1', async () => {
  const report = join(fixture.services.scratch, 'one-device.jsonl');
  const worker = fixture.startWorker({ ...standIn('0', report), WORKER_GPUS: '0,1' });
  const { code, stderr } = await exitOf(worker);
  assert.equal(code, 1, worker.tail());
  assert.match(stderr, /^worker cannot start: GPU 1 of WORKER_GPUS: .*libtensorflow sees no CUDA device/m);
  const pinned = (await readReports(report)).map((r) => [r.cudaVisibleDevices, r.visible.length]);
  assert.deepEqual(pinned, [
    [null, 1],
    ['0', 1],
    ['1', 0],
  ]);
});

test('WORKER_GPUS=0,1: concurrency 2, one child per GPU pinned with CUDA_VISIBLE_DEVICES, two jobs training at once, one on each GPU', async () => {
  const report = join(fixture.services.scratch, 'two-devices.jsonl');
  // Small batches: the stand-in computes with tfjs's stock cpu kernels, so a batch is slow. The jobs
  // are cancelled once both train: what is tested is where they run, not the training itself.
  const spec: JobSpec = { ...lenet, hyperparameters: { epochs: 1, batchSize: 8, validationSplit: 0 } };
  const jobs = [await submitJob(fixture.services, spec), await submitJob(fixture.services, spec)];
  const worker = fixture.startWorker({ ...standIn('0,1', report), WORKER_GPUS: '0,1', WORKER_CANCEL_GRACE_MS: '1000' });
  const identity = await worker.waitForLog((line) => line.msg === 'worker engine and accelerator class', 180_000);
  assert.equal(identity.engine, 'tensorflow-gpu');
  assert.equal(identity.accelerator, 'gpu', 'detected from the CUDA devices');
  assert.deepEqual(
    (identity.pins as Array<{ gpu: number; env: Record<string, string>; device: { name: string } }>).map((pin) => [
      pin.gpu,
      pin.env.CUDA_VISIBLE_DEVICES,
      pin.env.TRAINYARD_ENGINE,
      pin.device.name,
    ]),
    [
      [0, '0', 'tensorflow-gpu', 'CUDA device 0'],
      [1, '1', 'tensorflow-gpu', 'CUDA device 1'],
    ],
  );
  const ready = await worker.waitForLog((line) => line.msg === 'worker ready');
  assert.equal(ready.concurrency, 2);

  // Both train at the same time, each past its first batch on its own GPU.
  const training = await Promise.all(
    jobs.map((job) =>
      waitForJob(
        fixture.services,
        job.id,
        (j) => j.status === 'running' && j.phase === 'training' && ((j.progress as { step: number } | null)?.step ?? 0) >= 1,
        300_000,
        'both jobs training',
      ),
    ),
  );
  const gpus: number[] = [];
  for (const job of training) {
    assert.equal(job.engine, 'tensorflow-gpu');
    const started = worker.lines.find((line) => line.jobId === job.id && line.msg === 'training child started')!;
    const gpu = started.gpu as number;
    gpus.push(gpu);
    assert.deepEqual(job.device, { kind: 'gpu', name: `CUDA device ${gpu}` }, 'the job view names its pinned device');
    // The child that trains it sees its own GPU only, and libtensorflow was told to grow its memory.
    const seen = (await readReports(report)).find((r) => r.pid === started.pid);
    assert.deepEqual(seen, { pid: started.pid, cudaVisibleDevices: String(gpu), allowGrowth: 'true', visible: [String(gpu)] });
  }
  assert.deepEqual(gpus.sort(), [0, 1], 'one job on each GPU');

  for (const job of jobs) {
    assert.equal(await fixture.services.db.jobs.requestCancel(job.id), true);
    await fixture.services.channels.publishCancel(job.id);
  }
  for (const job of jobs) {
    const done = await waitForJob(fixture.services, job.id, (j) => j.status !== 'running', 120_000, 'the cancel');
    assert.equal(done.status, 'cancelled', `${done.errorCode} ${done.errorMessage}\n${worker.tail()}`);
  }
});

test('WORKER_GPUS with webgpu pins the Dawn adapter of each index: adapter 0 (llvmpipe) is pinned, adapter 1 does not exist', async () => {
  const webgpu = { TRAINYARD_ENGINE: 'webgpu', WORKER_ACCELERATOR: 'gpu' };
  const one = fixture.startWorker({ ...webgpu, WORKER_GPUS: '0' });
  const identity = await one.waitForLog((line) => line.msg === 'worker engine and accelerator class', 180_000);
  const [pin] = identity.pins as Array<{ gpu: number; env: Record<string, string>; device: { name: string } }>;
  assert.deepEqual(pin!.env, { TRAINYARD_WEBGPU_ADAPTER_INDEX: '0', TRAINYARD_ENGINE: 'webgpu' });
  assert.match(pin!.device.name, process.env.CI === 'true' ? /llvmpipe/ : /./);
  assert.equal((await one.waitForLog((line) => line.msg === 'worker ready')).concurrency, 1);

  const two = fixture.startWorker({ ...webgpu, WORKER_GPUS: '0,1' });
  const { code, stderr } = await exitOf(two);
  assert.equal(code, 1, two.tail());
  assert.match(stderr, /^worker cannot start: GPU 1 of WORKER_GPUS: .*there is no WebGPU adapter 1; Dawn offers 0: /m);
});
