/**
 * Jobs go to the accelerator class they ask for, end to end with real processes (API, workers): a
 * `gpu` job waits, its view saying `waitingFor: "gpu"`, while only CPU workers run (their class
 * detected from their engine: llvmpipe is a software adapter, so here every worker detects cpu), and
 * `cpu` and `any` jobs keep flowing; a worker declared gpu with WORKER_ACCELERATOR on the llvmpipe
 * adapter (TRAINYARD_ENGINE=webgpu) then runs it, and the job's view names the WebGPU device.
 * GET /v1/workers lists both workers with their engine, device and class.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiKey, ServiceProcess, startServices, waitFor, type Services } from './harness.js';

const processes: ServiceProcess[] = [];
let services: Services;
after(async () => {
  for (const p of processes) {
    p.kill('SIGTERM');
    await p.exited;
  }
  await services?.close();
});

test(
  'a gpu job waits for a gpu worker (waitingFor "gpu") while cpu and any jobs run; a gpu worker on llvmpipe then runs it',
  { timeout: 15 * 60_000 },
  async () => {
    services = await startServices({ storage: 'disk' });
    const key = await createApiKey(services, 'accelerators');
    const api = ServiceProcess.start('api', { ...services.env, PORT: '0', HOST: '127.0.0.1' });
    processes.push(api);
    const ready = await api.waitForLog((line) => line.msg === 'API listening', 60_000);
    const base = String(ready.address).replace('0.0.0.0', '127.0.0.1');
    const headers = { authorization: `Bearer ${key}` };
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, { headers });
      assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const submit = async (accelerator: 'gpu' | 'cpu' | 'any') => {
      const response = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `${accelerator} job`,
          model: { architecture: 'lenet5' },
          dataset: { builtin: 'synthetic' },
          hyperparameters: { epochs: 1, batchSize: 64, validationSplit: 0 },
          resources: { accelerator },
        }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return ((await response.json()) as { id: string }).id;
    };
    const finished = (id: string, timeoutMs: number) =>
      waitFor(
        async () => {
          const job = await get(`/v1/jobs/${id}`);
          return ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
        },
        timeoutMs,
        `job ${id} to finish`,
      );

    // A worker with no WORKER_ACCELERATOR detects its class: here no real GPU, so cpu.
    const { WORKER_ACCELERATOR: _unset, ...env } = services.env;
    const cpuWorker = ServiceProcess.worker({ ...env, WORKER_ID: 'cpu-worker' });
    processes.push(cpuWorker);
    const identity = await cpuWorker.waitForLog((l) => l.msg === 'worker engine and accelerator class', 120_000);
    assert.equal(identity.accelerator, 'cpu');
    assert.equal(identity.acceleratorSource, 'detected');
    await cpuWorker.waitForLog((l) => l.msg === 'worker ready');

    const gpuJob = await submit('gpu');
    const cpuJob = await submit('cpu');
    const anyJob = await submit('any');
    for (const id of [cpuJob, anyJob]) {
      const job = await finished(id, 300_000);
      assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${cpuWorker.tail()}`);
      assert.equal(job.device.kind, 'cpu');
    }
    const waiting = await get(`/v1/jobs/${gpuJob}`);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.waitingFor, 'gpu');
    assert.equal(waiting.device, null);
    const listed = await get('/v1/jobs?status=queued');
    assert.deepEqual(
      listed.jobs.map((j: { id: string; waitingFor: string }) => [j.id, j.waitingFor]),
      [[gpuJob, 'gpu']],
    );

    const gpuWorker = ServiceProcess.worker({ ...env, WORKER_ID: 'gpu-worker', WORKER_ACCELERATOR: 'gpu', TRAINYARD_ENGINE: 'webgpu' });
    processes.push(gpuWorker);
    const done = await finished(gpuJob, 600_000);
    assert.equal(done.status, 'succeeded', `${JSON.stringify(done.error)}\n${gpuWorker.tail()}`);
    assert.equal(done.engine, 'webgpu');
    assert.equal(done.waitingFor, null);
    assert.match(done.device.name, process.env.CI === 'true' ? /llvmpipe/ : /./);
    const record = (await services.db.jobs.get(gpuJob))!;
    assert.equal(record.workerId, 'gpu-worker');

    const { workers } = await get('/v1/workers');
    const byId = new Map(workers.map((w: { id: string }) => [w.id, w]));
    assert.deepEqual([...byId.keys()].sort(), ['cpu-worker', 'gpu-worker']);
    const gpu = byId.get('gpu-worker') as Record<string, any>;
    assert.equal(gpu.accelerator, 'gpu');
    assert.equal(gpu.engine, 'webgpu');
    assert.deepEqual(gpu.device, done.device);
    assert.equal(typeof gpu.runningJobs, 'number');
    const cpu = byId.get('cpu-worker') as Record<string, any>;
    assert.equal(cpu.accelerator, 'cpu');
    assert.equal(cpu.device.kind, 'cpu');
  },
);
