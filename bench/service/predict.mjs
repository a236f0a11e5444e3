/**
 * Issue 14's prediction benchmark. Starts a throwaway Trainyard (API and worker processes), trains
 * LeNet-5 on the synthetic set (28x28x1) and ResNet-18 on a 64x64 RGB image folder (one epoch each:
 * the weights do not matter here), then restarts the API with PREDICT_CACHE_MEMORY just large enough
 * for the ResNet-18 alone, so that alternating the two models makes every call load its model (cold),
 * while repeating one keeps it loaded (warm). It measures, through POST /v1/jobs/{id}/predict:
 * - single-image latency p50/p99 per model, warm and cold (and the very first call, which also starts
 *   the inference process);
 * - throughput with 32 images per request;
 * - another route's p99 (GET /v1/jobs/{id}, 4 clients) while 2 clients keep predictions running,
 *   against the same route idle, in alternating rounds; the ratio of the medians must stay below 2.
 * Prints one JSON line with the commit, the load average before and after, and every figure.
 *
 *   node bench/service/predict.mjs [--rounds 3] [--warm 40] [--cold 10] [--batches 8] [--seconds 8]
 */
import { recordResult } from '../record.mjs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { encodePng } from '@trainyard/cli/testing';
import { startLocalService } from './local-service.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warm: { type: 'string', default: '40' },
    cold: { type: 'string', default: '10' },
    batches: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '8' },
  },
});
const ROUNDS = Number(values.rounds);
const WARM = Number(values.warm);
const COLD = Number(values.cold);
const BATCHES = Number(values.batches);
const SECONDS = Number(values.seconds);

const loadBefore = loadavg().map((v) => Number(v.toFixed(2)));

const percentile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
};
const median = (values) => percentile(values, 0.5);
const round1 = (v) => Math.round(v * 10) / 10;
const summary = (ms) => ({ n: ms.length, p50: round1(percentile(ms, 0.5)), p99: round1(percentile(ms, 0.99)) });

/** Deterministic pseudo-random pixels. */
function pixels(count, seed) {
  const out = new Uint8Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** An image folder (4 classes x 10 images of 64x64 RGB) as a .tar.gz. */
async function imageFolder() {
  const pack = tar.pack();
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < 10; i++) pack.entry({ name: `class${c}/${i}.png` }, encodePng(64, 64, 3, pixels(64 * 64 * 3, c * 100 + i + 1)));
  }
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

const service = await startLocalService({ apiLogLevel: 'warn', apiEnv: { RATE_LIMIT_PER_MINUTE: '0' } });
try {
  const auth = { authorization: `Bearer ${service.key}` };
  const api = (path, init = {}) => fetch(`${service.url}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  await service.startWorker();

  const train = async (spec) => {
    const created = await (
      await api('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
    ).json();
    if (!created.id) throw new Error(`submission refused: ${JSON.stringify(created)}`);
    for (;;) {
      const job = await (await api(`/v1/jobs/${created.id}`)).json();
      if (job.status === 'succeeded') return job.id;
      if (job.status === 'failed' || job.status === 'cancelled')
        throw new Error(`job ${job.id} ${job.status}: ${JSON.stringify(job.error)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const form = new FormData();
  form.append('file', new Blob([await imageFolder()]), 'folders.tar.gz');
  const dataset = await (await api('/v1/datasets', { method: 'POST', body: form })).json();
  if (!dataset.id) throw new Error(`upload refused: ${JSON.stringify(dataset)}`);
  const models = {
    lenet5: {
      job: await train({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 1 } }),
      shape: [28, 28, 1],
    },
    resnet18: {
      job: await train({ model: { architecture: 'resnet18' }, dataset: { id: dataset.id }, hyperparameters: { epochs: 1, batchSize: 16 } }),
      shape: [64, 64, 3],
    },
  };
  const weightBytes = async (job) => {
    const modelJson = await (await api(`/v1/jobs/${job}/model/model.json`)).json();
    return modelJson.weightsManifest.flatMap((group) => group.weights).reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  };
  const resnetBytes = await weightBytes(models.resnet18.job);
  const lenetBytes = await weightBytes(models.lenet5.job);
  // Room for the ResNet-18 and less than a LeNet-5 besides: loading either model unloads the other.
  const cacheBytes = resnetBytes + Math.floor(lenetBytes / 2);
  await service.restartApi({ PREDICT_CACHE_MEMORY: String(cacheBytes), RATE_LIMIT_PER_MINUTE: '0' });

  const images = (name, count, seed = 1) =>
    Array.from({ length: count }, (_, i) => {
      const [h, w, c] = models[name].shape;
      return encodePng(w, h, c, pixels(h * w * c, seed * 1000 + i));
    });
  const predict = async (name, pngs) => {
    const body = new FormData();
    pngs.forEach((png, i) => body.append('images', new Blob([png]), `${i}.png`));
    const started = performance.now();
    const response = await api(`/v1/jobs/${models[name].job}/predict`, { method: 'POST', body });
    const answer = await response.json();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`predict ${name}: ${response.status} ${JSON.stringify(answer)}`);
    return { ms, cache: response.headers.get('x-model-cache') };
  };
  const expectCache = (result, expected, what) => {
    if (result.cache !== expected) throw new Error(`${what}: x-model-cache ${result.cache}, expected ${expected}`);
    return result.ms;
  };

  const one = { lenet5: images('lenet5', 1), resnet18: images('resnet18', 1) };
  const firstCallMs = round1(expectCache(await predict('resnet18', one.resnet18), 'miss', 'first call'));
  const cold = { lenet5: [], resnet18: [] };
  for (let i = 0; i < COLD; i++) {
    for (const name of ['lenet5', 'resnet18']) cold[name].push(expectCache(await predict(name, one[name]), 'miss', `cold ${name}`));
  }
  const warm = { lenet5: [], resnet18: [] };
  const throughput = {};
  for (const name of ['lenet5', 'resnet18']) {
    await predict(name, one[name]);
    for (let i = 0; i < WARM; i++) warm[name].push(expectCache(await predict(name, one[name]), 'hit', `warm ${name}`));
    const batch = images(name, 32, 7);
    await predict(name, batch);
    const started = performance.now();
    for (let i = 0; i < BATCHES; i++) expectCache(await predict(name, batch), 'hit', `batch ${name}`);
    throughput[name] = { imagesPerSecond: round1((32 * BATCHES) / ((performance.now() - started) / 1000)), requestsOf32: BATCHES };
  }

  // Another route under prediction load, in alternating rounds against the same route idle.
  const otherRoute = async () => {
    const latencies = [];
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          const response = await api(`/v1/jobs/${models.lenet5.job}`);
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`GET /v1/jobs/{id}: ${response.status}`);
          latencies.push(performance.now() - started);
        }
      }),
    );
    return latencies;
  };
  const batch = images('resnet18', 32, 9);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const idle = await otherRoute();
    let stop = false;
    let predictions = 0;
    const load = Array.from({ length: 2 }, async () => {
      while (!stop) {
        await predict('resnet18', batch);
        predictions++;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // predictions under way first
    const loaded = await otherRoute();
    stop = true;
    await Promise.all(load);
    rounds.push({
      idle: summary(idle),
      loaded: summary(loaded),
      predictionRequestsOf32: predictions,
      load1: Number(loadavg()[0].toFixed(2)),
    });
  }
  const idleP99 = median(rounds.map((r) => r.idle.p99));
  const loadedP99 = median(rounds.map((r) => r.loaded.p99));

  console.log(
    JSON.stringify(
      recordResult('predict', {
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((v) => Number(v.toFixed(2))),
        weightBytes: { lenet5: lenetBytes, resnet18: resnetBytes },
        predictCacheMemory: cacheBytes,
        firstCallMs,
        singleImageMs: {
          lenet5: { warm: summary(warm.lenet5), cold: summary(cold.lenet5) },
          resnet18: { warm: summary(warm.resnet18), cold: summary(cold.resnet18) },
        },
        batch32: throughput,
        otherRouteP99Ms: { idle: idleP99, whilePredicting: loadedP99, ratio: Number((loadedP99 / idleP99).toFixed(2)), rounds },
      }),
    ),
  );
} finally {
  await service.stop();
}
