/**
 * DELETE /v1/jobs/{id} and JOB_RETENTION_DAYS: a finished job goes with its rows and its storage
 * objects; a queued or running job, or one a queued or running job starts from, is refused with 409.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobKeys } from '@trainyard/storage';
import { deleteExpiredJobs } from '../src/background/delete-expired-jobs.js';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { claimJob } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };

before(async () => {
  api = await startTestApi();
  auth = await api.authFor('retention');
});
after(async () => api?.close());

async function submit(body: Record<string, unknown> = lenetJob()): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: body,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

const remove = (id: string, headers = auth) => api.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers });

/** Plays a worker: a job with two epochs of metrics and checkpoints and a model, succeeded. */
async function finishedJob(): Promise<string> {
  const id = await submit();
  const worker = 'retention-worker';
  assert.ok(await claimJob(api.db, id, worker));
  for (const n of [1, 2]) {
    const key = jobKeys(id).checkpoint(n);
    await api.storage.put(key, new Uint8Array([n]));
    assert.ok(await api.db.checkpoints.record(id, worker, { epoch: n, step: 0, storageKey: key, bytes: 1 }));
    assert.ok(
      await api.db.metrics.recordEpoch(id, worker, {
        epoch: n,
        trainLoss: 1,
        trainAccuracy: 0.5,
        validationLoss: null,
        validationAccuracy: null,
        learningRate: 0.1,
        seconds: 1,
        imagesPerSecond: 10,
      }),
    );
  }
  await api.storage.put(jobKeys(id).modelFile('model.json'), '{}');
  await api.storage.put(jobKeys(id).modelBundle, 'bundle');
  await api.db.models.save(id, { storagePrefix: jobKeys(id).modelPrefix, files: [{ path: 'model.json', bytes: 2 }], manifest: {} });
  assert.ok(await api.db.jobs.succeed(id, worker, { engine: 'cpu', evaluation: {} }));
  return id;
}

test('a finished job is deleted with its metrics, checkpoints, model and storage objects (204); then it is not found', async () => {
  const id = await finishedJob();
  assert.ok((await api.storage.list(jobKeys(id).root)).length >= 4);
  const res = await remove(id);
  assert.equal(res.statusCode, 204, res.body);
  assert.equal(res.body, '');
  assert.equal(await api.db.jobs.get(id), null);
  assert.deepEqual(await api.db.metrics.list(id), []);
  assert.deepEqual(await api.db.checkpoints.list(id), []);
  assert.equal(await api.db.models.get(id), null);
  assert.deepEqual(await api.storage.list(jobKeys(id).root), []);
  assert.equal((await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth })).statusCode, 404);
  assert.equal((await remove(id)).statusCode, 404);
});

test('a queued or running job answers 409 job_not_deletable and stays', async () => {
  const queued = await submit();
  const res = await remove(queued);
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().error.code, 'job_not_deletable');
  assert.equal(res.json().error.details.reason, 'active');
  assert.ok(await claimJob(api.db, queued, 'w'));
  assert.equal((await remove(queued)).statusCode, 409);
  assert.equal((await api.db.jobs.get(queued))?.status, 'running');
});

test('a job that a queued job starts from (model.pretrained.jobId) answers 409 until that job is finished', async () => {
  const source = await finishedJob();
  const user = await submit(lenetJob({ model: { architecture: 'lenet5', pretrained: { jobId: source } } }));
  const res = await remove(source);
  assert.equal(res.statusCode, 409, res.body);
  assert.equal(res.json().error.code, 'job_not_deletable');
  assert.equal(res.json().error.details.reason, 'referenced');
  assert.ok((await api.storage.list(jobKeys(source).modelPrefix)).length > 0, 'the model it needs is still there');
  const cancelled = await api.app.inject({ method: 'POST', url: `/v1/jobs/${user}/cancel`, headers: auth });
  assert.equal(cancelled.statusCode, 200, cancelled.body);
  assert.equal((await remove(source)).statusCode, 204);
});

test("another tenant's job is not found", async () => {
  const id = await finishedJob();
  const res = await remove(id, await api.authFor('someone-else'));
  assert.equal(res.statusCode, 404);
  assert.ok(await api.db.jobs.get(id));
});

test('JOB_RETENTION_DAYS deletes finished jobs older than that, rows and objects, and leaves the rest', async () => {
  const old = await finishedJob();
  const queued = await submit();
  const deps = { ...api.deps, config: { ...api.deps.config, jobRetentionDays: 2 } };
  assert.equal(await deleteExpiredJobs(deps, new Date(Date.now() + 1 * 86_400_000)), 0, 'not old enough yet');
  assert.ok((await deleteExpiredJobs(deps, new Date(Date.now() + 3 * 86_400_000))) >= 1);
  assert.equal(await api.db.jobs.get(old), null);
  assert.deepEqual(await api.storage.list(jobKeys(old).root), []);
  assert.equal((await api.db.jobs.get(queued))?.status, 'queued');
  assert.equal(
    await deleteExpiredJobs({ ...api.deps, config: { ...api.deps.config, jobRetentionDays: undefined } }, new Date(Date.now() + 1e12)),
    0,
  );
});
