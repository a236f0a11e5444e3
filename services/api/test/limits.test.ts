/**
 * Every limit of the API, each lowered by its variable: each answers with its own error code, and its
 * answer says the limit (details.limit, the variable's name, and the number in the message). A refused
 * request writes nothing. The limit on running jobs is the worker's (services/worker/test/limits.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { idxPair, multipart } from './dataset-files.js';
import { databaseInternals } from '@trainyard/db/testing';

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): { error: { code: string; message: string; details?: unknown } };
}

/** Three APIs, so that one lowered limit never stands in the way of another's check. */
let api: TestApi;
let rated: TestApi;
let memory: TestApi;
before(async () => {
  api = await startTestApi({
    BODY_LIMIT: '4kb',
    UPLOAD_LIMIT: '8kb',
    MAX_QUEUED_JOBS_PER_TENANT: '2',
    MAX_DATASETS_PER_TENANT: '1',
    MAX_EPOCHS: '20',
    MAX_BATCH_SIZE: '128',
    MAX_RUNTIME_SECONDS: '60',
  });
  rated = await startTestApi({ RATE_LIMIT_PER_MINUTE: '3', MAX_INPUT_PIXELS: '500' });
  memory = await startTestApi({ WORKER_MEMORY: '32mb' });
});
after(async () => {
  await Promise.all([api?.close(), rated?.close(), memory?.close()]);
});

async function countJobs(): Promise<number> {
  const counts = await Promise.all([api, rated, memory].map((target) => databaseInternals(target.db).prisma.job.count()));
  return counts.reduce((a, b) => a + b, 0);
}

/** A fresh tenant and key for each check. */
let tenants = 0;
async function client(target: TestApi) {
  const auth = await target.authFor(`limits-${++tenants}`);
  return {
    submit: (body: unknown) =>
      target.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      }),
    upload: (bytes: { images: Buffer; labels: Buffer }) => {
      const body = multipart([
        { name: 'images', file: { filename: 'train-images-idx3-ubyte', data: bytes.images } },
        { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: bytes.labels } },
      ]);
      return target.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...auth, ...body.headers }, payload: body.payload });
    },
    list: () => target.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth }),
  };
}

/** Sends what should pass first (it must), then the request over the limit, whose answer is returned. */
async function overLimit(
  allowed: Array<() => Promise<{ statusCode: number; body: string }>>,
  refused: () => Promise<Answer>,
): Promise<Answer> {
  for (const send of allowed) {
    const res = await send();
    assert.ok(res.statusCode < 300, `below the limit: ${res.statusCode} ${res.body}`);
  }
  return refused();
}

const limits: Array<{ variable: string; limit: number; status: number; code: string; answer: () => Promise<Answer> }> = [
  {
    variable: 'BODY_LIMIT',
    limit: 4096,
    status: 413,
    code: 'payload_too_large',
    answer: async () => (await client(api)).submit({ ...lenetJob(), name: 'x'.repeat(5000) }),
  },
  {
    variable: 'UPLOAD_LIMIT',
    limit: 8192,
    status: 413,
    code: 'upload_too_large',
    answer: async () => (await client(api)).upload(idxPair(20, 2, 28, 28)),
  },
  {
    variable: 'RATE_LIMIT_PER_MINUTE',
    limit: 3,
    status: 429,
    code: 'rate_limited',
    answer: async () => {
      const c = await client(rated);
      return overLimit([c.list, c.list, c.list], c.list);
    },
  },
  {
    variable: 'MAX_QUEUED_JOBS_PER_TENANT',
    limit: 2,
    status: 429,
    code: 'queued_jobs_limit',
    answer: async () => {
      const c = await client(api);
      return overLimit([() => c.submit(lenetJob()), () => c.submit(lenetJob())], () => c.submit(lenetJob()));
    },
  },
  {
    variable: 'MAX_DATASETS_PER_TENANT',
    limit: 1,
    status: 429,
    code: 'datasets_limit',
    answer: async () => {
      const c = await client(api);
      return overLimit([() => c.upload(idxPair(20, 2, 8, 8))], () => c.upload(idxPair(20, 2, 8, 8)));
    },
  },
  {
    variable: 'MAX_EPOCHS',
    limit: 20,
    status: 400,
    code: 'hyperparameter_limit',
    answer: async () => {
      const c = await client(api);
      return overLimit([() => c.submit(lenetJob({ hyperparameters: { epochs: 20 } }))], () =>
        c.submit(lenetJob({ hyperparameters: { epochs: 21 } })),
      );
    },
  },
  {
    variable: 'MAX_BATCH_SIZE',
    limit: 128,
    status: 400,
    code: 'hyperparameter_limit',
    answer: async () => (await client(api)).submit(lenetJob({ hyperparameters: { batchSize: 129 } })),
  },
  {
    variable: 'MAX_RUNTIME_SECONDS',
    limit: 60,
    status: 400,
    code: 'hyperparameter_limit',
    answer: async () => (await client(api)).submit(lenetJob({ maxRuntimeSeconds: 61 })),
  },
  {
    variable: 'MAX_INPUT_PIXELS',
    limit: 500,
    status: 422,
    code: 'input_too_large',
    answer: async () => (await client(rated)).submit(lenetJob()), // 28x28 = 784 pixels
  },
  {
    variable: 'WORKER_MEMORY',
    limit: 32 * 1024 ** 2,
    status: 422,
    code: 'model_too_large',
    answer: async () => {
      const c = await client(memory);
      return overLimit([() => c.submit(lenetJob({ hyperparameters: { batchSize: 64 } }))], () =>
        c.submit(lenetJob({ hyperparameters: { batchSize: 4096 } })),
      );
    },
  },
];

for (const { variable, limit, status, code, answer } of limits) {
  test(`${variable}: ${status} ${code}, saying the limit`, async () => {
    const jobsBefore = await countJobs();
    const res = await answer();
    const { error } = res.json();
    assert.equal(res.statusCode, status, JSON.stringify(error));
    assert.equal(error.code, code);
    const details = (Array.isArray(error.details) ? error.details[0] : error.details) as { limit?: unknown; variable?: unknown };
    assert.equal(details?.limit, limit, JSON.stringify(error));
    assert.equal(details?.variable, variable, JSON.stringify(error));
    assert.ok(error.message.includes(String(limit)) && error.message.includes(variable), error.message);
    if (code === 'rate_limited') assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
    const allowedJobs = { MAX_QUEUED_JOBS_PER_TENANT: 2, MAX_EPOCHS: 1, WORKER_MEMORY: 1 }[variable] ?? 0;
    const jobsAfter = await countJobs();
    assert.equal(jobsAfter - jobsBefore, allowedJobs, 'the refused request wrote nothing');
  });
}

test('the limit codes are all different', () => {
  const byVariable = new Map(limits.map((l) => [l.variable, l.code]));
  const shared = ['MAX_EPOCHS', 'MAX_BATCH_SIZE', 'MAX_RUNTIME_SECONDS']; // one code: bounds on the job spec, details name which
  const own = [...byVariable].filter(([variable]) => !shared.includes(variable)).map(([, code]) => code);
  assert.equal(new Set(own).size, own.length, own.join());
});

test('a cancelled job frees its place under the queued-jobs limit', async () => {
  const c = await client(api);
  assert.equal((await c.submit(lenetJob())).statusCode, 201);
  const second = (await c.submit(lenetJob())).json() as unknown as { id: string };
  assert.equal((await c.submit(lenetJob())).statusCode, 429);
  const auth = await api.authFor(`limits-${tenants}`);
  await api.app.inject({ method: 'POST', url: `/v1/jobs/${second.id}/cancel`, headers: auth });
  assert.equal((await c.submit(lenetJob())).statusCode, 201);
});
