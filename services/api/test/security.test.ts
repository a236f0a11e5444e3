/** Authentication, tenant isolation on every route, security headers, health and docs (limits: limits.test.ts). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobKeys } from '@trainyard/storage';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { idxPair, multipart } from './dataset-files.js';
import { lenetCheckpoint, zeroWeights } from './model-files.js';
import { claimJob, databaseInternals } from '@trainyard/db/testing';

let api: TestApi;
let alice: { authorization: string };
let mallory: { authorization: string };
let aliceJob: string;
let aliceDataset: string;
let aliceWeights: string;
let aliceWebhook: string;
let aliceSweep: string;

before(async () => {
  api = await startTestApi({ CORS_ORIGINS: 'https://app.example' });
  alice = await api.authFor('alice');
  mallory = await api.authFor('mallory');
  aliceJob = await finishedJobOf(alice);
  aliceDataset = await datasetOf('alice');
  const weights = multipart([
    { name: 'architecture', value: 'googlenet' },
    { name: 'file', file: { filename: 'googlenet.safetensors', data: Buffer.from(zeroWeights('googlenet', 10)) } },
  ]);
  const uploaded = await api.app.inject({
    method: 'POST',
    url: '/v1/weights',
    headers: { ...alice, ...weights.headers },
    payload: weights.payload,
  });
  assert.equal(uploaded.statusCode, 201, uploaded.body);
  aliceWeights = uploaded.json().id;
  // An address literal: registration needs no DNS lookup.
  const webhook = await api.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: { ...alice, 'content-type': 'application/json' },
    payload: { url: 'https://93.184.215.14/alice', events: ['job.succeeded'] },
  });
  assert.equal(webhook.statusCode, 201, webhook.body);
  aliceWebhook = webhook.json().id;
  const sweep = await api.app.inject({
    method: 'POST',
    url: '/v1/sweeps',
    headers: { ...alice, 'content-type': 'application/json' },
    payload: {
      base: lenetJob(),
      space: { 'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd'] } },
      searcher: { type: 'grid' },
      metric: 'trainLoss',
      maxConcurrentTrials: 1,
    },
  });
  assert.equal(sweep.statusCode, 201, sweep.body);
  aliceSweep = sweep.json().id;
});

/** A finished job with a model, a checkpoint and metrics, so that every route has something to hide. */
async function finishedJobOf(auth: { authorization: string }): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: lenetJob(),
  });
  const id: string = res.json().id;
  await claimJob(api.db, id, 'w');
  // A real checkpoint: GET /v1/jobs/{id}/checkpoints/{epoch}/model exports it.
  await api.storage.put(jobKeys(id).checkpoint(1), await lenetCheckpoint(1));
  await api.db.checkpoints.record(id, 'w', {
    epoch: 1,
    step: 0,
    storageKey: jobKeys(id).checkpoint(1),
    bytes: (await api.storage.head(jobKeys(id).checkpoint(1)))!.size,
  });
  await api.storage.put(jobKeys(id).modelFile('model.json'), '{}');
  await api.storage.put(jobKeys(id).modelBundle, 'x');
  await api.db.models.save(id, { storagePrefix: jobKeys(id).modelPrefix, files: [{ path: 'model.json', bytes: 2 }], manifest: {} });
  await api.db.jobs.succeed(id, 'w', {
    engine: 'wasm',
    evaluation: { top1: 1, top5: 1, loss: 0, classNames: [], perClass: [], confusionMatrix: [] },
  });
  return id;
}

/** A ready dataset, uploaded (hostile uploads are tested in datasets.test.ts). */
async function datasetOf(tenantName: string): Promise<string> {
  const auth = tenantName === 'alice' ? alice : mallory;
  const { images, labels } = idxPair(20, 2);
  const body = multipart([
    { name: 'images', file: { filename: 'train-images-idx3-ubyte', data: images } },
    { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: labels } },
  ]);
  const res = await api.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...auth, ...body.headers }, payload: body.payload });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}
after(async () => api?.close());

describe('authentication', () => {
  test('no key, a malformed header, an unknown key and a revoked key all answer 401', async () => {
    const aliceId = (await api.db.tenants.findByName('alice'))!.id;
    const { key } = await api.db.tenants.createApiKey(aliceId);
    await api.db.tenants.revokeApiKey(aliceId, key);
    const headers: Array<Record<string, string>> = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ty_${'A'.repeat(43)}` },
      { authorization: 'Bearer not-even-close' },
      { authorization: `Bearer ${key}` },
    ];
    for (const header of headers) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: header });
      assert.equal(res.statusCode, 401, JSON.stringify(header));
      assert.equal(res.json().error.code, 'unauthorized');
    }
  });

  test('only the hash of a key is stored', async () => {
    const key = alice.authorization.slice('Bearer '.length);
    const rows = await databaseInternals(api.db).prisma.apiKey.findMany();
    assert.ok(rows.length > 0);
    assert.ok(rows.every((row) => row.hash !== key && !JSON.stringify(row).includes(key)));
  });

  test('keys never reach the logs, whatever the request', async () => {
    const lines: string[] = [];
    const logged = await startTestApi({}, { logLines: lines });
    try {
      const auth = await logged.authFor('quiet');
      const key = auth.authorization.slice('Bearer '.length);
      const wrong = `ty_${'B'.repeat(43)}`;
      for (const headers of [auth, { authorization: `Bearer ${wrong}` }, { authorization: `Bearer ${key}x` }]) {
        await logged.app.inject({ method: 'GET', url: '/v1/jobs', headers });
        await logged.app.inject({
          method: 'POST',
          url: '/v1/jobs',
          headers: { ...headers, 'content-type': 'application/json' },
          payload: '{bad',
        });
        await logged.app.inject({ method: 'GET', url: `/v1/jobs/${key}`, headers });
      }
      assert.ok(lines.length >= 9, 'requests were logged');
      const all = lines.join('\n');
      for (const secret of [key, wrong, 'Bearer']) assert.ok(!all.includes(secret), `${secret.slice(0, 6)}... appears in the logs`);
      assert.ok(
        lines.every((line) => JSON.parse(line).reqId || !line.includes('"url"')),
        'request lines carry their request id',
      );
    } finally {
      await logged.close();
    }
  });
});

describe('tenant isolation', () => {
  test('every documented route answers 404 for another tenant’s ids', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const checked: string[] = [];
    // DELETE last: alice's own delete would remove what later routes need.
    const operations = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.includes('{id}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => [path, method] as const))
      .sort(([, a], [, b]) => Number(a === 'delete') - Number(b === 'delete'));
    for (const [path, method] of operations) {
      const id = path.startsWith('/v1/datasets')
        ? aliceDataset
        : path.startsWith('/v1/weights')
          ? aliceWeights
          : path.startsWith('/v1/webhooks')
            ? aliceWebhook
            : path.startsWith('/v1/sweeps')
              ? aliceSweep
              : aliceJob;
      const url = path.replace('{id}', id).replace('{epoch}', '1').replace('{file}', 'model.json');
      {
        const res = await api.app.inject({ method: method.toUpperCase() as 'GET', url, headers: mallory });
        assert.equal(res.statusCode, 404, `${method} ${path}: ${res.body}`);
        assert.equal(res.json().error.code, 'not_found');
        // Alice herself can reach it (so the 404 is isolation, not a broken route).
        const own = await api.app.inject({ method: method.toUpperCase() as 'GET', url, headers: alice });
        // 415: a route that needs a body (predict) reached its own checks.
        assert.ok(
          own.statusCode < 400 || own.statusCode === 409 || own.statusCode === 415,
          `${method} ${url} for alice: ${own.statusCode} ${own.body}`,
        );
        checked.push(`${method} ${path}`);
      }
    }
    assert.ok(checked.length >= 10, checked.join(', '));
  });

  test('lists show only the tenant’s own resources, and jobs cannot use another tenant’s dataset or model', async () => {
    aliceDataset = await datasetOf('alice'); // the walk above deleted the first one
    aliceJob = await finishedJobOf(alice); // and the first job
    const jobs = (await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: mallory })).json();
    assert.deepEqual(jobs.jobs, []);
    const datasets = (await api.app.inject({ method: 'GET', url: '/v1/datasets', headers: mallory })).json();
    assert.deepEqual(datasets.datasets, []);
    for (const body of [lenetJob({ dataset: { id: aliceDataset } }), lenetJob({ fineTuneFrom: aliceJob })]) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...mallory, 'content-type': 'application/json' },
        payload: body,
      });
      assert.equal(res.statusCode, 404, res.body);
    }
    // Alice can fine-tune from her own succeeded job and train on her own dataset.
    for (const body of [lenetJob({ dataset: { id: aliceDataset } }), lenetJob({ fineTuneFrom: aliceJob })]) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...alice, 'content-type': 'application/json' },
        payload: body,
      });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
});

describe('headers, health and documentation', () => {
  test('security headers on every answer; CORS only for configured origins', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { ...alice, origin: 'https://app.example' } });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['strict-transport-security']);
    assert.ok(res.headers['x-request-id']);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
    const other = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { ...alice, origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const preflight = await api.app.inject({
      method: 'OPTIONS',
      url: '/v1/jobs',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(preflight.statusCode, 204);
  });

  test('/healthz and /readyz (Postgres, Redis and storage reachable)', async () => {
    assert.deepEqual((await api.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json().checks, { postgres: 'ok', redis: 'ok', storage: 'ok' });
  });

  test('/readyz answers 503 not_ready when Redis cannot be reached', async () => {
    const { openApiQueue } = await import('../src/queue-adapter.js');
    const down = await startTestApi({}, { queue: openApiQueue({ redisUrl: 'redis://127.0.0.1:1', prefix: 'nowhere' }, 500) });
    try {
      const res = await down.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error.code, 'not_ready');
      assert.equal(res.json().error.details.checks.postgres, 'ok');
      assert.match(res.json().error.details.checks.redis, /^unavailable/);
    } finally {
      await down.close();
    }
  });

  test('requests while Postgres is unreachable answer 503 database_unavailable, not 500', async () => {
    const { openDatabase } = await import('@trainyard/db');
    const unreachable = openDatabase('postgres://postgres@127.0.0.1:1/none');
    const deps = { ...api.deps, db: unreachable };
    const { buildApi } = await import('../src/app.js');
    const app = await buildApi(deps);
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/jobs', headers: alice });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().error.code, 'database_unavailable');
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.match(ready.json().error.details.checks.postgres, /^unavailable/);
    } finally {
      await app.close();
      await unreachable.close();
    }
  });

  test('/openapi.json documents every /v1 route and /docs serves Swagger UI', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of [
      '/v1/jobs',
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/metrics',
      '/v1/jobs/{id}/model/{file}',
      '/v1/datasets',
      '/v1/architectures',
    ]) {
      assert.ok(spec.paths[path], path);
    }
    assert.ok(spec.paths['/v1/jobs'].post.requestBody);
    const docs = await api.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  test('GET /v1/architectures lists the catalog with minimum input sizes', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/architectures', headers: alice });
    assert.equal(res.statusCode, 200);
    const { architectures } = res.json();
    const lenet = architectures.find((a: { name: string }) => a.name === 'lenet5');
    assert.ok(lenet);
    assert.ok(lenet.minInputSize > 0 && lenet.minInputSize <= 28);
    assert.ok(architectures.length >= 10);
    // torchvision's counts (packages/cnn/test/torchvision-counts.txt): LeNet-5 at 32x32x3 has 62,006.
    assert.equal(lenet.parameters, 62006);
    assert.ok(
      architectures.every((a: { parameters: unknown }) => typeof a.parameters === 'number'),
      'recorded for every architecture',
    );
  });
});
