/**
 * The exported model must load with plain @tensorflow/tfjs elsewhere: in another Node process that
 * imports nothing of ours (so no class of ours is registered), and in a real browser (Chromium driven by
 * playwright-core). Both must predict the classes the trained model predicts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { exportModel } from '../src/export/export-model.js';
import { loadExportedModel, readExportedWeights, readManifest } from '../src/export/read-exported.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { seedGlobalRandom } from '../src/train/random.js';
import { trainModel } from '../src/train/trainer.js';
import type { ExportedFile, InputShape, ModelManifest } from '../src/types.js';
import { quadrantSplit, range } from './train-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHAPE: InputShape = [28, 28, 1];
const NORMALIZATION = { mean: [0.3], std: [0.2] };
const CLASSES = 4;
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tfjsBundle = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json')), 'dist', 'tf.min.js');

let files: ExportedFile[] = [];
let manifest: ModelManifest;
/** Test images (NHWC, [0, 1]) and what the trained model predicts for them in this process. */
let images: Float32Array;
let expectedClasses: number[];
let expectedProbabilities: Float32Array;
let server: Server;
let baseUrl = '';

before(async () => {
  const engine = await initEngine();
  const data = quadrantSplit(128, SHAPE, CLASSES, 5);
  const config = resolveTrainConfig({ epochs: 2, batchSize: 32, learningRate: 0.01 });
  seedGlobalRandom(config.seed);
  // The real builder: LeNet-5 with its normalisation layer baked in, so the exported model takes [0, 1] pixels.
  const model = buildModel('lenet5', { inputShape: SHAPE, classes: CLASSES, normalization: NORMALIZATION });
  await trainModel({
    architecture: 'lenet5',
    model: model.training,
    inputShape: SHAPE,
    classNames: ['a', 'b', 'c', 'd'],
    config,
    normalization: NORMALIZATION,
    data,
    trainIndices: range(128),
    validationIndices: null,
  });
  manifest = {
    format: 'trainyard-model/1',
    architecture: 'lenet5',
    inputShape: SHAPE,
    classes: CLASSES,
    classNames: ['a', 'b', 'c', 'd'],
    normalization: NORMALIZATION,
    engine: engine.name,
    metrics: { top1: 0.5 },
    createdAt: new Date(0).toISOString(),
  };
  files = await exportModel(model.inference, manifest);
  const batch = quadrantSplit(24, SHAPE, CLASSES, 99).read(range(24));
  images = batch.x;
  const probabilities = tf.tidy(() => model.inference.predict(tf.tensor4d(images, [24, ...SHAPE])) as tf.Tensor2D);
  expectedProbabilities = probabilities.dataSync() as Float32Array;
  expectedClasses = Array.from(probabilities.argMax(1).dataSync());
  probabilities.dispose();
  disposeBuiltModel(model);

  const routes = new Map<string, { type: string; bytes: Uint8Array }>(
    files.map((f) => [`/${f.path}`, { type: f.path.endsWith('.json') ? 'application/json' : 'application/octet-stream', bytes: f.bytes }]),
  );
  routes.set('/images.json', {
    type: 'application/json',
    bytes: new TextEncoder().encode(JSON.stringify({ pixels: Array.from(images), shape: [24, ...SHAPE] })),
  });
  routes.set('/tf.min.js', { type: 'text/javascript', bytes: readFileSync(tfjsBundle) });
  routes.set('/', { type: 'text/html', bytes: new TextEncoder().encode('<!doctype html><script src="/tf.min.js"></script>') });
  server = createServer((request, response) => {
    const route = routes.get(new URL(request.url ?? '/', 'http://x').pathname);
    response.writeHead(route ? 200 : 404, { 'content-type': route?.type ?? 'text/plain' });
    response.end(route?.bytes ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
});

/** Runs a Node process that knows only @tensorflow/tfjs: it loads the model over HTTP and predicts. */
async function predictInPlainNode(): Promise<{ classes: number[]; probabilities: number[] }> {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    const base = process.argv[1];
    const { pixels, shape } = await (await fetch(base + '/images.json')).json();
    const model = await tf.loadLayersModel(base + '/model.json');
    const probabilities = model.predict(tf.tensor4d(pixels, shape));
    console.log(JSON.stringify({ classes: Array.from(probabilities.argMax(1).dataSync()), probabilities: Array.from(probabilities.dataSync()) }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, baseUrl], {
    cwd: packageDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('exportModel', () => {
  test('writes model.json, weight shards and manifest.json; the model takes [0, 1] pixels and ends in a softmax', () => {
    const paths = files.map((f) => f.path);
    assert.deepEqual(paths, ['model.json', 'group1-shard1of1.bin', 'manifest.json']);
    assert.deepEqual(readManifest(files), manifest);
    const modelJson = JSON.parse(new TextDecoder().decode(files[0].bytes));
    assert.equal(modelJson.format, 'layers-model');
    const layers: Array<{ name: string; class_name: string }> = modelJson.modelTopology.config.layers;
    assert.equal(layers[1].name, 'normalization');
    assert.equal(layers.at(-1)!.name, 'probabilities');
    const weightBytes = modelJson.weightsManifest[0].weights.reduce(
      (sum: number, w: { shape: number[] }) => sum + 4 * w.shape.reduce((a, b) => a * b, 1),
      0,
    );
    assert.equal(files[1].bytes.length, weightBytes);
    const weights = readExportedWeights(files);
    assert.deepEqual(Array.from(weights['normalization/bias'].dataSync()), [Math.fround(-0.3 / 0.2)]);
    tf.dispose(Object.values(weights));
  });

  test('leaves auxiliary heads out and shards large weights in 4 MiB files', async () => {
    const googlenet = buildModel('googlenet', { inputShape: [32, 32, 3], classes: 3, auxLogits: true });
    assert.equal(googlenet.auxOutputs, 2);
    const exported = await exportModel(googlenet.inference, {
      ...manifest,
      architecture: 'googlenet',
      inputShape: [32, 32, 3],
      classes: 3,
    });
    const modelJson = JSON.parse(new TextDecoder().decode(exported[0].bytes));
    const layerNames: string[] = modelJson.modelTopology.config.layers.map((l: { name: string }) => l.name);
    assert.ok(!layerNames.some((n) => n.startsWith('aux')), `layers: ${layerNames.filter((n) => n.startsWith('aux'))}`);
    assert.ok(googlenet.training.layers.some((l) => l.name.startsWith('aux')));
    const shards = exported.filter((f) => f.path.endsWith('.bin'));
    assert.ok(shards.length > 1 && shards.slice(0, -1).every((f) => f.bytes.length === 4 * 1024 * 1024));
    assert.deepEqual(
      modelJson.weightsManifest[0].paths,
      shards.map((f) => f.path),
    );
    const reloaded = await loadExportedModel(exported);
    const x = tf.randomUniform([2, 32, 32, 3]);
    const [a, b] = tf.tidy(() =>
      [googlenet.inference.predict(x) as tf.Tensor, reloaded.predict(x) as tf.Tensor].map((t) => Array.from(t.dataSync())),
    );
    assert.deepEqual(b, a);
    tf.dispose(x);
    reloaded.dispose();
    disposeBuiltModel(googlenet);
  });

  test('reloads in this process with the same predictions', async () => {
    const reloaded = await loadExportedModel(files);
    const probabilities = tf.tidy(() => (reloaded.predict(tf.tensor4d(images, [24, ...SHAPE])) as tf.Tensor).dataSync());
    assert.deepEqual(Array.from(probabilities), Array.from(expectedProbabilities));
    reloaded.dispose();
  });

  test('loads with plain @tensorflow/tfjs in another Node process and predicts the same classes', async () => {
    const node = await predictInPlainNode();
    assert.ok(new Set(expectedClasses).size >= 3, `a trained model predicts several classes: ${expectedClasses}`);
    assert.deepEqual(node.classes, expectedClasses);
    node.probabilities.forEach((p, i) => assert.ok(Math.abs(p - expectedProbabilities[i]) < 1e-4, `probability ${i}`));
  });

  test('loads with tf.min.js in Chromium and predicts the same classes as Node', async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing: CI must install Debian's chromium`);
      t.skip(`${CHROMIUM} is not installed (apt-get install -y chromium)`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${baseUrl}/`);
      await page.waitForFunction(() => 'tf' in window);
      const browserResult = await page.evaluate(async () => {
        const tfjs = (window as unknown as { tf: typeof tf }).tf;
        const { pixels, shape } = await (await fetch('/images.json')).json();
        const model = await tfjs.loadLayersModel('/model.json');
        const probabilities = model.predict(tfjs.tensor4d(pixels, shape)) as tf.Tensor;
        return { classes: Array.from(probabilities.argMax(1).dataSync()), backend: tfjs.getBackend() };
      });
      const node = await predictInPlainNode();
      assert.deepEqual(browserResult.classes, node.classes, `browser backend ${browserResult.backend}`);
      assert.deepEqual(browserResult.classes, expectedClasses);
    } finally {
      await browser.close();
    }
  });
});
