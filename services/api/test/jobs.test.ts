import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { databaseInternals } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };

before(async () => {
  api = await startTestApi();
  auth = await api.authFor('acme');
});
after(async () => api?.close());

async function submit(body: unknown, headers: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

describe('POST /v1/jobs', () => {
  test('a valid job is stored with every hyperparameter resolved, enqueued, and answered 201 with Location', async () => {
    const res = await submit(lenetJob({ name: 'first', hyperparameters: { epochs: 2, augmentation: { horizontalFlip: true } } }));
    assert.equal(res.statusCode, 201, res.body);
    const job = res.json();
    assert.equal(res.headers.location, `/v1/jobs/${job.id}`);
    assert.equal(job.status, 'queued');
    assert.equal(job.name, 'first');
    assert.equal(job.attempts, 0);
    assert.equal(job.spec.hyperparameters.epochs, 2);
    assert.equal(job.spec.hyperparameters.batchSize, 64, 'defaults filled in');
    assert.deepEqual(job.spec.hyperparameters.augmentation, { randomCropPadding: 0, horizontalFlip: true });
    assert.equal(await api.inspector.state(job.id), 'waiting');
    // enqueued_at is written in batches, a few milliseconds later.
    let row = await api.db.jobs.get(job.id);
    for (let i = 0; i < 100 && !row?.enqueuedAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      row = await api.db.jobs.get(job.id);
    }
    assert.ok(row?.enqueuedAt, 'marked enqueued');
  });

  const refused: Array<[string, unknown, number, string]> = [
    ['an unknown top-level field', lenetJob({ colour: 'red' }), 400, 'validation_failed'],
    ['an unknown hyperparameter', lenetJob({ hyperparameters: { epoch: 3 } }), 400, 'validation_failed'],
    ['"4" for a number', lenetJob({ hyperparameters: { epochs: '4' } }), 400, 'validation_failed'],
    ['a negative batch size', lenetJob({ hyperparameters: { batchSize: -1 } }), 400, 'validation_failed'],
    ['a huge epoch count (above MAX_EPOCHS)', lenetJob({ hyperparameters: { epochs: 1e12 } }), 400, 'hyperparameter_limit'],
    ['a fractional epoch count', lenetJob({ hyperparameters: { epochs: 2.5 } }), 400, 'validation_failed'],
    // JSON has no Infinity, but 1e999 parses to it.
    [
      'an infinite learning rate',
      '{"model":{"architecture":"lenet5"},"dataset":{"builtin":"synthetic"},"hyperparameters":{"learningRate":1e999}}',
      400,
      'validation_failed',
    ],
    [
      'a negative infinite epoch count',
      '{"model":{"architecture":"lenet5"},"dataset":{"builtin":"synthetic"},"hyperparameters":{"epochs":-1e999}}',
      400,
      'validation_failed',
    ],
    ['an unknown optimizer', lenetJob({ hyperparameters: { optimizer: 'lion' } }), 400, 'validation_failed'],
    ['a missing model', { dataset: { builtin: 'synthetic' } }, 400, 'validation_failed'],
    ['an unknown builtin dataset', lenetJob({ dataset: { builtin: 'imagenet' } }), 400, 'validation_failed'],
    [
      'a dataset with both builtin and id',
      lenetJob({ dataset: { builtin: 'synthetic', id: '00000000-0000-0000-0000-000000000000' } }),
      400,
      'validation_failed',
    ],
    ['an array body', [lenetJob()], 400, 'validation_failed'],
    ['an unknown architecture', lenetJob({ model: { architecture: 'transformer' } }), 400, 'unknown_architecture'],
    ['an architecture too big for 28x28 inputs', lenetJob({ model: { architecture: 'inception_v3' } }), 422, 'input_too_small'],
    ['nesterov with adam', lenetJob({ hyperparameters: { nesterov: true } }), 400, 'invalid_option'],
    ['early stopping without validation', lenetJob({ hyperparameters: { earlyStopping: { patience: 2 } } }), 400, 'invalid_option'],
    ['an unknown dataset id', lenetJob({ dataset: { id: '00000000-0000-4000-8000-000000000000' } }), 404, 'not_found'],
    ['a fineTuneFrom that does not exist', lenetJob({ fineTuneFrom: '00000000-0000-4000-8000-000000000000' }), 404, 'not_found'],
  ];
  for (const [what, body, status, code] of refused) {
    test(`refuses ${what} with ${status} ${code}, queueing nothing`, async () => {
      const before = await databaseInternals(api.db).prisma.job.count();
      const res = await submit(body);
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code);
      assert.equal(typeof res.json().error.message, 'string');
      assert.equal(await databaseInternals(api.db).prisma.job.count(), before);
    });
  }

  test('validation errors say where and why', async () => {
    const res = await submit(lenetJob({ hyperparameters: { epochs: '4', colour: 1 } }));
    const details = res.json().error.details as Array<{ path: string; rule: string }>;
    assert.ok(
      details.some((d) => d.path === 'body.hyperparameters.epochs' && d.rule === 'type'),
      JSON.stringify(details),
    );
    assert.ok(
      details.some((d) => d.path === 'body.hyperparameters.colour' && d.rule === 'additionalProperties'),
      JSON.stringify(details),
    );
  });

  test('malformed bodies answer with our error format', async () => {
    const cases: Array<[string, () => ReturnType<typeof submit>, number, string]> = [
      ['invalid JSON', () => submit('{"model": '), 400, 'invalid_json'],
      ['an empty body', () => submit(''), 400, 'invalid_json'],
      [
        'invalid UTF-8',
        () => submit(Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
        400,
        'invalid_json',
      ],
      ['text/plain', () => submit(JSON.stringify(lenetJob()), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['a body over the limit', () => submit(JSON.stringify({ ...lenetJob(), name: 'x'.repeat(1_100_000) })), 413, 'payload_too_large'],
      ['deeply nested JSON', () => submit('{"name":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'), 400, 'validation_failed'],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      assert.equal(res.json().error.code, code, what);
    }
  });

  test('hostile URLs answer 4xx in our format', async () => {
    for (const url of [
      '/v1/jobs?cursor=%ff',
      '/v1/jobs/%ff',
      '/v1/jobs/%E0%A4%A',
      '/v1/jobs?status=queued&status=running',
      `/v1/jobs/${'a'.repeat(5000)}`,
      '/v1/jobs/..%2f..%2fetc',
      '/v1/datasets/%00',
    ]) {
      const res = await api.app.inject({ method: 'GET', url, headers: auth });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode} ${res.body}`);
      assert.equal(typeof res.json().error.code, 'string', url);
    }
  });

  test('an unknown route is a 404 in our format', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/nope', headers: auth });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
  });
});

describe('Idempotency-Key', () => {
  test('a retried submission returns the same job; another body under the same key is a conflict', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await submit(lenetJob({ name: 'idem' }), headers);
    const second = await submit(lenetJob({ name: 'idem' }), headers);
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.equal(second.json().id, first.json().id);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const other = await submit(lenetJob({ name: 'different' }), headers);
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().error.code, 'idempotency_conflict');
    assert.equal(await databaseInternals(api.db).prisma.job.count({ where: { name: 'idem' } }), 1);
  });

  test('concurrent submissions with one key create one job', async () => {
    const headers = { 'idempotency-key': 'race-1' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(lenetJob({ name: 'race' }), headers)));
    assert.ok(
      answers.every((res) => res.statusCode === 201),
      answers.map((r) => r.body).join('\n'),
    );
    assert.equal(new Set(answers.map((res) => res.json().id)).size, 1);
    assert.equal(await databaseInternals(api.db).prisma.job.count({ where: { name: 'race' } }), 1);
  });

  test('the key is per tenant', async () => {
    const other = await api.authFor('other-idem');
    const mine = await submit(lenetJob({ name: 'per-tenant' }), { 'idempotency-key': 'shared' });
    const theirs = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...other, 'content-type': 'application/json', 'idempotency-key': 'shared' },
      payload: JSON.stringify(lenetJob({ name: 'per-tenant' })),
    });
    assert.equal(theirs.statusCode, 201);
    assert.notEqual(theirs.json().id, mine.json().id);
  });
});
