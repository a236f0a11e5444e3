/**
 * Postgres or Redis restarted under a running service: the API (a real `trainyard start api`
 * process) and the workers reconnect by themselves; what the API answers meanwhile is a 201 or a 503
 * with a clear code, never a 500; every accepted job runs to the end exactly once. Each test starts
 * its own server on a free port, never the shared ones.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivatePostgres } from '@trainyard/db/testing';
import { ServiceProcess, startServices, waitFor, waitForJob, type Services } from './harness.js';
import { freePort } from '@trainyard/contracts/ports';
import { startPrivateRedis } from '@trainyard/queue/private-redis';

const processes: ServiceProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const child of processes.splice(0)) {
    child.kill('SIGKILL');
    await child.exited;
  }
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

const lenet = (epochs: number) => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
});

interface Api {
  process: ServiceProcess;
  submit(body?: unknown): Promise<{ status: number; body: { id?: string; error?: { code: string; message: string } } }>;
  get(path: string): Promise<{ status: number; body: { error?: { code: string } } }>;
}

async function startApi(services: Services, env: Record<string, string> = {}): Promise<Api> {
  const port = await freePort();
  const child = ServiceProcess.start('api', { ...services.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  processes.push(child);
  const { tenant } = await services.db.tenants.findOrCreate('restarts');
  const { key } = await services.db.tenants.createApiKey(tenant.id);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const url = `http://127.0.0.1:${port}`;
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}${path}`, { headers, ...init });
    return { status: response.status, body: (await response.json()) as never };
  };
  await waitFor(
    () =>
      fetch(`${url}/readyz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    60_000,
    'the API to be ready',
  ).catch((error) => {
    throw new Error(`${error.message}\n${child.tail()}`);
  });
  return {
    process: child,
    submit: (body = lenet(2)) => call('/v1/jobs', { method: 'POST', body: JSON.stringify(body) }),
    get: (path) => call(path),
  };
}

function startWorker(services: Services): ServiceProcess {
  // Training slowed to a known pace, so that a restart meets a job mid-training whatever the engine.
  const worker = ServiceProcess.worker({ ...services.env, WORKER_TEST_BATCH_DELAY_MS: '20' });
  processes.push(worker);
  return worker;
}

/** Every accepted job ends `succeeded`, with one metrics row per epoch, trained by one child once. */
async function assertEachRanOnce(services: Services, jobIds: string[], epochs: number, workers: ServiceProcess[]): Promise<void> {
  for (const id of jobIds) {
    const done = await waitForJob(services, id, (j) => j.status !== 'queued' && j.status !== 'running', 180_000, `job ${id}`).catch(
      (error) => {
        throw new Error(`${error.message}\n${workers.map((w) => w.tail(20)).join('\n---\n')}`);
      },
    );
    assert.equal(done.status, 'succeeded', `${id}: ${done.errorCode} ${done.errorMessage}`);
    assert.deepEqual(
      (await services.db.metrics.list(id)).map((m) => m.epoch),
      Array.from({ length: epochs }, (_, i) => i + 1),
      id,
    );
    const starts = workers.flatMap((w) => w.lines.filter((l) => l.jobId === id && l.msg === 'training child started'));
    // Never twice at once. A second child is allowed only after a logged failure of the first (an
    // outage can fail a database write past its retries: the job is then retried from its checkpoint).
    const failures = workers.flatMap((w) =>
      w.lines.filter((l) => l.jobId === id && (l.msg === 'job failed; it will be retried' || l.msg === 'training child crashed')),
    );
    assert.ok(starts.length >= 1, `${id} was never trained`);
    assert.ok(
      starts.length <= failures.length + 1,
      `${id} was trained by ${starts.length} children after ${failures.length} logged failures`,
    );
    if (failures.length === 0) assert.equal(done.attempts, 1, id);
  }
}

/** Outages answer 503 (logged as failed requests with their code); anything else 5xx is a bug. */
function assertNo500(api: Api): void {
  const failures = api.process.lines.filter(
    (l) => l.code === 'internal' || (typeof l.status === 'number' && l.status >= 500 && l.status !== 503),
  );
  assert.deepEqual(failures, [], 'the API answered no 500');
}

test('Postgres restarted while jobs train and others wait: API and workers reconnect, 503 meanwhile, every job runs once', async () => {
  const postgres = await startPrivatePostgres();
  cleanups.push(() => postgres.close());
  const services = await startServices({ storage: 'disk', databaseServerUrl: postgres.serverUrl });
  cleanups.push(() => services.close());
  const api = await startApi(services);
  const workers = [startWorker(services), startWorker(services)];
  await Promise.all(workers.map((w) => w.waitForLog((l) => l.msg === 'worker ready')));

  const accepted: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await api.submit(lenet(2));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    accepted.push(res.body.id!);
  }
  // Two jobs train, one waits; the restart comes once a job has finished its first epoch.
  await waitFor(
    async () => ((await services.db.checkpoints.list(accepted[0]!)).length > 0 ? true : undefined),
    120_000,
    'a first checkpoint',
  );
  const before = (await services.db.jobs.get(accepted[0]!))!;
  assert.deepEqual([before.status, before.phase], ['running', 'training'], 'the restart meets a job mid-training');
  assert.ok((await services.db.checkpoints.list(accepted[0]!)).length < 2);

  const outageAt = Date.now();
  await postgres.stop();
  const during = [await api.submit(), await api.get('/v1/jobs'), await api.get(`/v1/jobs/${accepted[0]}`), await api.get('/readyz')];
  assert.deepEqual(
    during.map((res) => [res.status, res.body.error?.code]),
    [
      [503, 'database_unavailable'],
      [503, 'database_unavailable'],
      [503, 'database_unavailable'],
      [503, 'not_ready'],
    ],
  );
  await sleep(3000);
  await postgres.start();

  // Submissions are accepted again once the pool has reconnected.
  const after = await waitFor(
    async () => {
      const res = await api.submit(lenet(2));
      return res.status === 201 ? res : undefined;
    },
    30_000,
    'a submission to be accepted again',
  );
  accepted.push(after.body.id!);

  await assertEachRanOnce(services, accepted, 2, workers);
  // The outage reached the workers (a failed database call was logged), and they carried on.
  assert.ok(
    workers.some((w) => w.lines.some((l) => (l.time as number) >= outageAt && l.level >= 40)),
    workers.map((w) => w.tail(20)).join('\n---\n'),
  );
  assertNo500(api);
  assert.ok(
    workers.every((w) => w.lines.every((l) => l.level < 60)),
    'no worker crashed',
  );
});

test('Redis restarted under the API (two HTTP processes): submissions meanwhile are accepted through the outbox, every job runs once', async () => {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.close());
  const services = await startServices({ storage: 'disk', redisUrl: redis.url });
  cleanups.push(() => services.close());
  const api = await startApi(services, { API_PROCESSES: '2' });
  const worker = startWorker(services);
  await worker.waitForLog((l) => l.msg === 'worker ready');

  const before = await api.submit(lenet(1));
  assert.equal(before.status, 201);
  await redis.stop();
  // The job row is written; the enqueue gives up after a few seconds and the outbox takes over.
  const during = await Promise.all([api.submit(lenet(1)), api.submit(lenet(1)), api.submit(lenet(1))]);
  for (const res of during)
    assert.ok(res.status === 201 || (res.status === 503 && res.body.error?.code === 'queue_unavailable'), JSON.stringify(res));
  const readiness = await api.get('/readyz');
  assert.equal(readiness.status, 503);
  await redis.start();

  const accepted = [before, ...during].filter((res) => res.status === 201).map((res) => res.body.id!);
  assert.ok(accepted.length >= 2, 'submissions during the outage were accepted');
  await assertEachRanOnce(services, accepted, 1, [worker]);
  assertNo500(api);
});
