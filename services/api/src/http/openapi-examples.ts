/**
 * Examples for the OpenAPI document (/openapi.json, /docs): a request and an answer for each main
 * route. They are added to the generated document (@fastify/swagger's transformObject), not to the
 * route schemas, so they never change how Fastify validates or serialises anything; `redocly lint`
 * checks that each one matches its schema.
 */
import { resolveJobSpec, type JobSpec } from '@trainyard/contracts';

const JOB_ID = '0ed480c1-22bd-404d-97d4-85635b76c291';
const OTHER_JOB_ID = '6a1f0b7e-93c2-4f57-8a0e-2d4c51b9e830';
const DATASET_ID = 'f3ec510a-d266-49a6-aacc-c24ea2e3f2d7';

const submitted: JobSpec = {
  name: 'LeNet-5 on fashion-mnist',
  tags: { project: 'fashion', owner: 'ana' },
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'fashion-mnist' },
  hyperparameters: { epochs: 4, validationSplit: 0.1, schedule: 'cosine', seed: 7 },
};

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
  tags: { project: 'fashion', owner: 'ana' },
  status: 'running',
  phase: 'training',
  architecture: 'lenet5',
  spec: resolveJobSpec(submitted),
  progress: { epoch: 2, epochs: 4, step: 412, steps: 844, imagesPerSecond: 1060.2, etaSeconds: 121 },
  metrics: { latest: epoch, best: epoch },
  engine: 'onednn',
  device: { kind: 'cpu', name: 'Intel(R) Xeon(R) Platinum 8480+' },
  waitingFor: null,
  attempts: 1,
  sweepId: null,
  stopReason: null,
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
    request: submitted,
    status: '201',
    response: {
      ...job,
      status: 'queued',
      phase: null,
      progress: null,
      metrics: { latest: null, best: null },
      engine: null,
      device: null,
      attempts: 0,
      startedAt: null,
    },
  },
  'get /v1/jobs': { status: '200', response: { jobs: [job], nextCursor: null } },
  'get /v1/jobs/{id}': { status: '200', response: job },
  'patch /v1/jobs/{id}': {
    request: { tags: { stage: 'candidate', owner: null } },
    status: '200',
    response: { ...job, tags: { project: 'fashion', stage: 'candidate' } },
  },
  'get /v1/jobs/compare': {
    status: '200',
    response: {
      differences: ['hyperparameters.learningRate'],
      epochs: [1, 2],
      jobs: [
        {
          id: JOB_ID,
          name: job.name,
          status: 'succeeded',
          architecture: 'lenet5',
          tags: job.tags,
          specDifferences: { 'hyperparameters.learningRate': 0.001 },
          curve: [epoch, { ...epoch, epoch: 2, validationAccuracy: 0.835 }],
          finalMetrics: { ...epoch, epoch: 2, validationAccuracy: 0.835 },
          evaluation: { top1: 0.8534, top5: 0.9975, loss: 0.411 },
        },
        {
          id: OTHER_JOB_ID,
          name: 'LeNet-5, higher learning rate',
          status: 'succeeded',
          architecture: 'lenet5',
          tags: { project: 'fashion' },
          specDifferences: { 'hyperparameters.learningRate': 0.01 },
          curve: [{ ...epoch, validationAccuracy: 0.712 }, null],
          finalMetrics: { ...epoch, validationAccuracy: 0.712 },
          evaluation: null,
        },
      ],
    },
  },
  'get /v1/jobs/{id}/metrics': {
    status: '200',
    response: {
      engine: job.engine,
      device: job.device,
      epochs: [epoch, { ...epoch, epoch: 2, trainLoss: 0.487, trainAccuracy: 0.82, validationLoss: 0.443, validationAccuracy: 0.835 }],
    },
  },
  'get /v1/jobs/{id}/evaluation': {
    status: '200',
    response: {
      top1: 0.8534,
      top5: 0.9975,
      loss: 0.411,
      classNames: ['T-shirt/top', 'Trouser', 'Pullover'],
      perClass: [
        { className: 'T-shirt/top', precision: 0.91, recall: 0.835, f1: 0.871, support: 1000 },
        { className: 'Trouser', precision: 0.97, recall: 0.964, f1: 0.967, support: 1000 },
        { className: 'Pullover', precision: 0.75, recall: 0.862, f1: 0.802, support: 1000 },
      ],
      confusionMatrix: [
        [835, 12, 153],
        [2, 964, 34],
        [80, 58, 862],
      ],
      examples: 3000,
    },
  },
  'get /v1/jobs/{id}/events': { status: '200', contentType: 'text/event-stream', response: eventStream },
  'get /v1/jobs/{id}/logs': {
    status: '200',
    response: {
      lines: [
        { id: '1765036800000-0', time: '2026-12-06T16:00:00.000Z', level: 'info', message: 'attempt 1 started on worker worker-1' },
        {
          id: '1765036800412-0',
          time: '2026-12-06T16:00:00.412Z',
          level: 'info',
          message: 'engine onednn on cpu (Intel(R) Xeon(R) Platinum 8480+)',
        },
        {
          id: '1765036810977-0',
          time: '2026-12-06T16:00:10.977Z',
          level: 'info',
          message: 'epoch 1/4 step 211/844: loss 0.9213, accuracy 0.6875, 1060 images/s',
        },
      ],
      nextCursor: '1765036810977-0',
    },
  },
  'post /v1/jobs/{id}/cancel': { status: '202', response: { ...job, cancelRequested: true } },
  'get /v1/jobs/{id}/samples': {
    status: '200',
    response: {
      split: 'test',
      inputShape: [28, 28, 1],
      classNames: ['T-shirt/top', '...'],
      samples: [{ index: 19, label: 0, pixels: Buffer.alloc(28 * 28).toString('base64') }],
    },
  },
  'get /v1/architectures': {
    status: '200',
    response: {
      architectures: [
        {
          name: 'lenet5',
          family: 'lenet',
          description: 'LeNet-5 (LeCun et al. 1998)',
          nativeInputShape: [32, 32, 1],
          defaultClasses: 10,
          minInputSize: 28,
          options: ['dropout'],
          parameters: 62006,
        },
      ],
    },
  },
  'post /v1/datasets': { status: '201', response: dataset },
  'get /v1/datasets': { status: '200', response: { datasets: [dataset], nextCursor: null } },
  'get /v1/datasets/{id}': { status: '200', response: dataset },
};

type Operation = {
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown; example?: unknown }> }>;
};

/** Adds the examples to a generated OpenAPI document. */
export function addOpenApiExamples<T extends { paths?: Record<string, Record<string, Operation>> }>(document: T): T {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const example = EXAMPLES[`${method} ${path}`];
      if (!example || typeof operation !== 'object' || operation === null) continue;
      if (example.request !== undefined && operation.requestBody?.content?.['application/json']) {
        operation.requestBody.content['application/json'].example = example.request;
      }
      const content = operation.responses?.[example.status]?.content?.[example.contentType ?? 'application/json'];
      if (!content) throw new Error(`the example for ${method} ${path} ${example.status} has no response to go in`);
      content.example = example.response;
    }
  }
  return document;
}
