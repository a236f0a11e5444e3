/**
 * Random input against POST /v1/jobs and POST /v1/datasets: whatever arrives, the answer is a 2xx or
 * a 4xx in our error format, never a 5xx, and the service stays ready.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { multipart } from './dataset-files.js';
import { databaseInternals } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };

before(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0', MAX_QUEUED_JOBS_PER_TENANT: '100000' });
  auth = await api.authFor('fuzz');
});
after(async () => api?.close());

function assertWellFormed(res: { statusCode: number; body: string; json(): unknown }, input: unknown): void {
  assert.ok(res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(input)?.slice(0, 500)}: ${res.body}`);
  if (res.statusCode >= 400) {
    const body = res.json() as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof body.error?.code, 'string');
    assert.equal(typeof body.error?.message, 'string');
  }
}

const hyperparameterNames = [
  'epochs',
  'batchSize',
  'optimizer',
  'learningRate',
  'momentum',
  'nesterov',
  'weightDecay',
  'schedule',
  'stepSize',
  'stepGamma',
  'warmupEpochs',
  'gradientClipNorm',
  'labelSmoothing',
  'auxLossWeight',
  'validationSplit',
  'earlyStopping',
  'augmentation',
  'normalize',
  'seed',
  'unfreezeAtEpoch',
  'restoreBestWeights',
];

/** Values of every JSON type, with the numbers that break naive code. */
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 0.5, '', '4', 'adam', null, true, [], {}, 'lenet5', '../../etc/passwd', '\u0000'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Mostly-valid job specs with one or more fields bent. */
const jobSpec = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 300 }), nasty),
    model: fc.oneof(
      fc.record(
        {
          architecture: fc.oneof(fc.constantFrom('lenet5', 'resnet20', 'vgg11', 'googlenet', 'inception_v3', 'densenet121'), nasty),
          options: fc.oneof(fc.record({ dropout: nasty, auxLogits: nasty, smallInput: nasty }, { requiredKeys: [] }), nasty),
          pretrained: fc.oneof(
            fc.record({ weightsId: fc.oneof(fc.uuid(), nasty) }),
            fc.record({ jobId: fc.oneof(fc.uuid(), nasty) }),
            nasty,
          ),
          freeze: fc.oneof(fc.constantFrom('none', 'backbone', ['layer1'], []), nasty),
        },
        { requiredKeys: ['architecture'] },
      ),
      nasty,
    ),
    dataset: fc.oneof(
      fc.record(
        {
          builtin: fc.oneof(fc.constantFrom('synthetic', 'fashion-mnist'), nasty),
          imageSize: fc.oneof(fc.constant([64, 64]), nasty),
          channels: fc.oneof(fc.constantFrom(1, 3), nasty),
          testFraction: nasty,
        },
        { requiredKeys: ['builtin'] },
      ),
      fc.record({ id: fc.oneof(fc.uuid(), nasty) }),
      nasty,
    ),
    hyperparameters: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...hyperparameterNames), fc.string()), nasty, { maxKeys: 6 }), nasty),
    maxRuntimeSeconds: nasty,
    fineTuneFrom: fc.oneof(fc.uuid(), nasty),
    extra: nasty,
  },
  { requiredKeys: [] },
);

test('POST /v1/jobs never answers 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(jobSpec, async (spec) => {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify(spec),
      });
      assertWellFormed(res, spec);
    }),
    { numRuns: 400, seed: 4242 },
  );
});

test('POST /v1/jobs with arbitrary bytes never answers 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('application/json', 'application/vnd.api+json', 'text/plain', 'application/octet-stream'),
      async (bytes, type) => {
        const res = await api.app.inject({
          method: 'POST',
          url: '/v1/jobs',
          headers: { ...auth, 'content-type': type },
          payload: Buffer.from(bytes),
        });
        assertWellFormed(res, [...bytes]);
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

test('POST /v1/datasets with random parts never answers 5xx and stores nothing', async () => {
  const part = fc.oneof(
    fc.record({
      name: fc.constantFrom('images', 'labels', 'file', 'other'),
      file: fc.record({
        filename: fc.constantFrom('a.bin', 'train-images-idx3-ubyte', 'x.zip', 'y.tar.gz', 'c.png'),
        data: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)),
      }),
    }),
    fc.record({
      name: fc.constantFrom('format', 'name', 'x'),
      value: fc.oneof(fc.constantFrom('idx', 'cifar10', 'cifar100', 'imagefolder'), fc.string({ maxLength: 40 })),
    }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(part, { maxLength: 4 }), async (parts) => {
      const body = multipart(parts);
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { ...auth, ...body.headers },
        payload: body.payload,
      });
      assertWellFormed(
        res,
        parts.map((p) => ('file' in p ? { name: p.name, filename: p.file.filename, bytes: p.file.data.length } : p)),
      );
    }),
    { numRuns: 150, seed: 99 },
  );
  assert.equal(await databaseInternals(api.db).prisma.dataset.count({ where: { status: 'uploading' } }), 0);
});

test('the service is still ready and still accepts a valid job', async () => {
  assert.equal((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: lenetJob(),
  });
  assert.equal(res.statusCode, 201);
});
