/**
 * Reading a job's results and cancelling it. A worker's writes are made here through the same
 * repositories and storage keys the worker uses (the end-to-end test with a real worker is in
 * services/worker).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { jobKeys } from '@trainyard/storage';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { claimJob } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };

before(async () => {
  api = await startTestApi();
  auth = await api.authFor('results');
});
after(async () => api?.close());

async function submit(body: Record<string, unknown> = lenetJob()): Promise<{ id: string }> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: body,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

const get = (url: string, headers = auth) => api.app.inject({ method: 'GET', url, headers });

function epoch(n: number, validationAccuracy: number) {
  return {
    epoch: n,
    trainLoss: 1 / n,
    trainAccuracy: 0.5 + n / 100,
    validationLoss: 1.1 / n,
    validationAccuracy,
    learningRate: 0.001,
    seconds: 2.5,
    imagesPerSecond: 1000,
  };
}

/** Plays a worker: claims the job, writes two epochs and their checkpoints, the model, and succeeds. */
async function completeJob(id: string): Promise<void> {
  const worker = 'test-worker';
  assert.ok(await claimJob(api.db, id, worker));
  await api.db.jobs.reportProgress(id, worker, {
    phase: 'training',
    engine: 'wasm',
    progress: { epoch: 2, epochs: 2, step: 10, steps: 10, imagesPerSecond: 1000, etaSeconds: 0 },
  });
  for (const n of [1, 2]) {
    const key = jobKeys(id).checkpoint(n);
    const info = await api.storage.put(key, new Uint8Array([n, n, n]));
    await api.db.checkpoints.record(id, worker, { epoch: n, step: 0, storageKey: key, bytes: info.size });
    await api.db.metrics.recordEpoch(id, worker, epoch(n, n === 1 ? 0.8 : 0.7));
  }
  await api.db.metrics.recordEpoch(id, worker, epoch(2, 0.75)); // an epoch run again replaces its row
  const modelJson = JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }] });
  await api.storage.put(jobKeys(id).modelFile('model.json'), modelJson);
  await api.storage.put(jobKeys(id).modelFile('group1-shard1of1.bin'), new Uint8Array(16).fill(7));
  await api.storage.put(jobKeys(id).modelBundle, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  await api.db.models.save(id, {
    storagePrefix: jobKeys(id).modelPrefix,
    files: [
      { path: 'model.json', bytes: Buffer.byteLength(modelJson) },
      { path: 'group1-shard1of1.bin', bytes: 16 },
    ],
    manifest: { format: 'trainyard-model/1' },
  });
  const evaluation = {
    loss: 0.4,
    top1: 0.9,
    top5: 1,
    classNames: ['a', 'b'],
    perClass: [],
    confusionMatrix: [
      [9, 1],
      [1, 9],
    ],
    examples: 20,
  };
  assert.ok(await api.db.jobs.succeed(id, worker, { engine: 'wasm', evaluation }));
}

describe('a succeeded job', () => {
  let id: string;
  before(async () => {
    id = (await submit()).id;
    await completeJob(id);
  });

  test('GET /v1/jobs/{id} shows status, progress, engine, attempts, times and latest/best metrics', async () => {
    const res = await get(`/v1/jobs/${id}`);
    assert.equal(res.statusCode, 200);
    const job = res.json();
    assert.equal(job.id, id);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.engine, 'wasm');
    assert.equal(job.attempts, 1);
    assert.equal(job.progress.epoch, 2);
    assert.equal(job.metrics.latest.epoch, 2);
    assert.equal(job.metrics.latest.validationAccuracy, 0.75);
    assert.equal(job.metrics.best.epoch, 1);
    assert.ok(job.startedAt && job.finishedAt && job.createdAt);
    assert.equal(job.error, null);
  });

  test('metrics are one row per epoch, ascending from 1', async () => {
    const res = await get(`/v1/jobs/${id}/metrics`);
    assert.equal(res.statusCode, 200);
    const { epochs } = res.json();
    assert.deepEqual(
      epochs.map((e: { epoch: number }) => e.epoch),
      [1, 2],
    );
    assert.deepEqual(Object.keys(epochs[0]).sort(), [
      'epoch',
      'imagesPerSecond',
      'learningRate',
      'seconds',
      'trainAccuracy',
      'trainLoss',
      'validationAccuracy',
      'validationLoss',
    ]);
  });

  test('evaluation, checkpoints and a checkpoint download', async () => {
    const evaluation = (await get(`/v1/jobs/${id}/evaluation`)).json();
    assert.equal(evaluation.top1, 0.9);
    assert.deepEqual(evaluation.confusionMatrix, [
      [9, 1],
      [1, 9],
    ]);
    const { checkpoints } = (await get(`/v1/jobs/${id}/checkpoints`)).json();
    assert.deepEqual(
      checkpoints.map((c: { epoch: number }) => c.epoch),
      [1, 2],
    );
    const download = await get(checkpoints[1].download);
    assert.equal(download.statusCode, 200);
    assert.deepEqual([...download.rawPayload], [2, 2, 2]);
    assert.equal((await get(`/v1/jobs/${id}/checkpoints/7`)).statusCode, 404);
  });

  test('the model: .tar.gz bundle, model.json and weight files; nothing outside the listed files', async () => {
    const bundle = await get(`/v1/jobs/${id}/model`);
    assert.equal(bundle.statusCode, 200);
    assert.equal(bundle.headers['content-type'], 'application/gzip');
    assert.doesNotThrow(() => gunzipSync(bundle.rawPayload));
    const modelJson = await get(`/v1/jobs/${id}/model/model.json`);
    assert.equal(modelJson.statusCode, 200);
    assert.match(String(modelJson.headers['content-type']), /application\/json/);
    assert.equal(modelJson.json().format, 'layers-model');
    const weights = await get(`/v1/jobs/${id}/model/group1-shard1of1.bin`);
    assert.equal(weights.statusCode, 200);
    assert.equal(weights.rawPayload.length, 16);
    for (const path of ['manifest.json', '..%2F..%2Fcheckpoints%2Fepoch-00001.ckpt', '%2E%2E']) {
      assert.equal((await get(`/v1/jobs/${id}/model/${path}`)).statusCode, 404, path);
    }
  });

  test('cancelling a finished job answers 409', async () => {
    const res = await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'job_not_cancellable');
  });
});

describe('a job that has not finished', () => {
  test('has no evaluation or model yet (409 job_not_finished), and empty metrics', async () => {
    const { id } = await submit();
    for (const path of ['evaluation', 'model', 'model/model.json']) {
      const res = await get(`/v1/jobs/${id}/${path}`);
      assert.equal(res.statusCode, 409, path);
      assert.equal(res.json().error.code, 'job_not_finished');
    }
    assert.deepEqual((await get(`/v1/jobs/${id}/metrics`)).json(), { engine: null, device: null, epochs: [] });
  });

  test('a failed job shows its error code and message', async () => {
    const { id } = await submit();
    await claimJob(api.db, id, 'w');
    await api.db.jobs.fail(id, 'w', { code: 'dataset_malformed', message: 'labels file is truncated' });
    const job = (await get(`/v1/jobs/${id}`)).json();
    assert.equal(job.status, 'failed');
    assert.deepEqual(job.error, { code: 'dataset_malformed', message: 'labels file is truncated' });
  });
});

describe('cancel', () => {
  test('a queued job is cancelled at once and leaves the queue', async () => {
    const { id } = await submit();
    assert.equal(await api.inspector.state(id), 'waiting');
    const res = await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'cancelled');
    assert.equal(await api.inspector.state(id), 'missing');
    assert.equal((await api.db.jobs.get(id))?.status, 'cancelled');
    // A second cancel: the job has finished.
    assert.equal((await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth })).statusCode, 409);
  });

  test('a running job gets a cancel request recorded and published to the workers', async () => {
    const { JobChannels } = await import('@trainyard/queue');
    const channels = new JobChannels({ redisUrl: 'redis://127.0.0.1:6379', prefix: api.deps.config.queuePrefix });
    const heard: string[] = [];
    const unsubscribe = await channels.onCancel((jobId) => heard.push(jobId));
    try {
      const { id } = await submit();
      await claimJob(api.db, id, 'w');
      const res = await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().status, 'running');
      assert.equal(res.json().cancelRequested, true);
      for (let i = 0; i < 50 && !heard.includes(id); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(heard, [id]);
      assert.deepEqual(await api.db.jobs.findCancelRequested([id]), [{ id }]);
    } finally {
      await unsubscribe();
      await channels.close();
    }
  });
});

describe('GET /v1/jobs', () => {
  test('lists newest first with a cursor, filtered by status, never another tenant’s jobs', async () => {
    const lister = await api.authFor('lister');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...lister, 'content-type': 'application/json' },
        payload: lenetJob({ name: `list-${i}` }),
      });
      ids.push(res.json().id);
    }
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${ids[1]}/cancel`, headers: lister });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, lister);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json();
      assert.ok(page.jobs.length <= 2);
      seen.push(...page.jobs.map((job: { id: string }) => job.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());

    const cancelled = (await get('/v1/jobs?status=cancelled', lister)).json();
    assert.deepEqual(
      cancelled.jobs.map((job: { id: string }) => job.id),
      [ids[1]],
    );
    for (const query of ['status=done', 'limit=0', 'limit=1000', 'limit=abc', 'cursor=garbage', 'colour=red']) {
      const res = await get(`/v1/jobs?${query}`, lister);
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json().error.code, 'validation_failed', query);
    }
  });
});
