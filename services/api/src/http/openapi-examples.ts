/**
 * Examples for the OpenAPI document (/openapi.json, /docs): a request and an answer for each main
 * route, and the error answers every /v1 route can give. They are added to the generated document
 * (@fastify/swagger's transformObject), not to the route schemas, so they never change how Fastify
 * validates or serialises anything.
 */
import { errorBodySchema } from '@trainyard/contracts';

const { $id: _id, ...ERROR_BODY_SCHEMA } = errorBodySchema;
const JOB_ID = '0ed480c1-22bd-404d-97d4-85635b76c291';
const DATASET_ID = 'f3ec510a-d266-49a6-aacc-c24ea2e3f2d7';

const epoch = {
  epoch: 1,
  trainLoss: 0.744,
  trainAccuracy: 0.721,
  validationLoss: 0.518,
  validationAccuracy: 0.809,
  learningRate: 0.000854,
  seconds: 84.2,
  imagesPerSecond: 641.3,
};

const job = {
  id: JOB_ID,
  name: 'LeNet-5 on fashion-mnist',
  status: 'running',
  phase: 'training',
  architecture: 'lenet5',
  spec: {
    name: 'LeNet-5 on fashion-mnist',
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'fashion-mnist' },
    hyperparameters: { epochs: 4, batchSize: 64, optimizer: 'adam', learningRate: 0.001, schedule: 'cosine', validationSplit: 0.1, seed: 7, '...': 'every other hyperparameter, with its default' },
  },
  progress: { epoch: 2, epochs: 4, step: 412, steps: 844, imagesPerSecond: 1060.2, etaSeconds: 121 },
  metrics: { latest: epoch, best: epoch },
  engine: 'onednn',
  attempts: 1,
  cancelRequested: false,
  error: null,
  createdAt: '2026-11-28T11:56:53.120Z',
  startedAt: '2026-11-28T11:56:53.410Z',
  finishedAt: null,
  updatedAt: '2026-11-28T11:58:40.002Z',
  links: {
    self: `/v1/jobs/${JOB_ID}`,
    metrics: `/v1/jobs/${JOB_ID}/metrics`,
    evaluation: `/v1/jobs/${JOB_ID}/evaluation`,
    checkpoints: `/v1/jobs/${JOB_ID}/checkpoints`,
    model: `/v1/jobs/${JOB_ID}/model`,
    modelJson: `/v1/jobs/${JOB_ID}/model/model.json`,
    cancel: `/v1/jobs/${JOB_ID}/cancel`,
  },
};

const dataset = {
  id: DATASET_ID,
  name: 'fashion-mnist test set',
  status: 'ready',
  format: 'idx',
  inputShape: [28, 28, 1],
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  classCounts: [800, 800, 800, 800, 800, 800, 800, 800, 800, 800],
  testClassCounts: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
  trainSize: 8000,
  testSize: 2000,
  testSplit: 'held_out',
  validation: { valid: true },
  files: [
    { part: 'images', name: 't10k-images-idx3-ubyte.gz', bytes: 4422102 },
    { part: 'labels', name: 't10k-labels-idx1-ubyte.gz', bytes: 5148 },
  ],
  bytes: 4427250,
  createdAt: '2026-11-28T12:01:10.512Z',
  links: { self: `/v1/datasets/${DATASET_ID}` },
};

const eventStream = [
  'retry: 2000',
  ': connected',
  '',
  'id: 1795865528060-0',
  'event: status',
  `data: {"type":"status","jobId":"${JOB_ID}","at":"2026-11-28T11:56:53.500Z","status":"running"}`,
  '',
  'id: 1795865530125-0',
  'event: progress',
  `data: {"type":"progress","jobId":"${JOB_ID}","at":"2026-11-28T11:56:55.600Z","epoch":1,"epochs":4,"step":120,"steps":844,"imagesPerSecond":1050.4,"etaSeconds":188,"loss":0.912,"accuracy":0.66,"learningRate":0.00099}`,
  '',
  'id: 1795865612001-0',
  'event: epoch',
  `data: {"type":"epoch","jobId":"${JOB_ID}","at":"2026-11-28T11:58:17.600Z","epoch":1,"trainLoss":0.744,"trainAccuracy":0.721,"validationLoss":0.518,"validationAccuracy":0.809,"learningRate":0.000854,"seconds":84.2}`,
  '',
  ': heartbeat',
  '',
].join('\n');

interface Example {
  request?: unknown;
  status: string;
  contentType?: string;
  response: unknown;
}

/** By "METHOD path" as the document spells it. */
const EXAMPLES: Record<string, Example> = {
  'post /v1/jobs': {
    request: {
      name: 'LeNet-5 on fashion-mnist',
      model: { architecture: 'lenet5' },
      dataset: { builtin: 'fashion-mnist' },
      hyperparameters: { epochs: 4, validationSplit: 0.1, schedule: 'cosine', seed: 7 },
    },
    status: '201',
    response: { ...job, status: 'queued', phase: null, progress: null, metrics: { latest: null, best: null }, engine: null, attempts: 0, startedAt: null },
  },
  'get /v1/jobs': { status: '200', response: { jobs: [job], nextCursor: null } },
  'get /v1/jobs/{id}': { status: '200', response: job },
  'get /v1/jobs/{id}/metrics': { status: '200', response: { epochs: [epoch, { ...epoch, epoch: 2, trainLoss: 0.487, trainAccuracy: 0.82, validationLoss: 0.443, validationAccuracy: 0.835 }] } },
  'get /v1/jobs/{id}/evaluation': {
    status: '200',
    response: {
      top1: 0.8534,
      top5: 0.9975,
      loss: 0.411,
      classNames: ['T-shirt/top', 'Trouser', '...'],
      perClass: [{ className: 'T-shirt/top', precision: 0.765, recall: 0.835, f1: 0.799, support: 1000 }],
      confusionMatrix: [[835, 2, '...'], [2, 964, '...']],
      examples: 10000,
    },
  },
  'get /v1/jobs/{id}/events': { status: '200', contentType: 'text/event-stream', response: eventStream },
  'post /v1/jobs/{id}/cancel': { status: '202', response: { ...job, cancelRequested: true } },
  'get /v1/jobs/{id}/samples': {
    status: '200',
    response: { split: 'test', inputShape: [28, 28, 1], classNames: ['T-shirt/top', '...'], samples: [{ index: 19, label: 0, pixels: 'AAAAAAAAAA…(784 bytes, base64)' }] },
  },
  'get /v1/architectures': {
    status: '200',
    response: {
      architectures: [
        { name: 'lenet5', family: 'lenet', description: 'LeNet-5 (LeCun et al. 1998)', nativeInputShape: [32, 32, 1], defaultClasses: 10, minInputSize: 28, options: ['dropout'], parameters: 62006 },
      ],
    },
  },
  'post /v1/datasets': { status: '201', response: dataset },
  'get /v1/datasets': { status: '200', response: { datasets: [dataset], nextCursor: null } },
  'get /v1/datasets/{id}': { status: '200', response: dataset },
};

const ERRORS: Record<string, { description: string; example: unknown }> = {
  '400': {
    description: 'The request does not match the schema',
    example: { error: { code: 'validation_failed', message: 'The request does not match the schema; see details.', details: [{ path: 'body.hyperparameters.epochs', rule: 'minimum', message: 'must be >= 1', limit: 1 }] } },
  },
  '401': { description: 'No valid API key', example: { error: { code: 'unauthorized', message: 'Send a valid API key as "Authorization: Bearer <key>".' } } },
  '404': { description: "Unknown id, or another tenant's", example: { error: { code: 'not_found', message: `No job ${JOB_ID}.` } } },
  '429': { description: 'Rate limit', example: { error: { code: 'rate_limited', message: 'More than 600 requests a minute for this API key; retry in 12 s.' } } },
};

type Operation = {
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown; example?: unknown }> }>;
};

/** Adds the examples and the common error answers to a generated OpenAPI document. */
export function addOpenApiExamples<T extends { paths?: Record<string, Record<string, Operation>> }>(document: T): T {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (typeof operation !== 'object' || operation === null) continue;
      operation.responses ??= {};
      const example = EXAMPLES[`${method} ${path}`];
      if (example) {
        if (example.request !== undefined && operation.requestBody?.content?.['application/json']) {
          operation.requestBody.content['application/json'].example = example.request;
        }
        const contentType = example.contentType ?? 'application/json';
        const response = (operation.responses[example.status] ??= { description: 'OK' });
        response.content ??= {};
        response.content[contentType] = { ...(response.content[contentType] ?? {}), example: example.response };
        delete operation.responses.default; // swagger's placeholder when a route declares no response
      }
      if (!path.startsWith('/v1/')) continue;
      for (const [status, error] of Object.entries(ERRORS)) {
        if (status === '404' && !path.includes('{')) continue;
        operation.responses[status] ??= { description: error.description, content: { 'application/json': { schema: ERROR_BODY_SCHEMA, example: error.example } } };
      }
    }
  }
  return document;
}
