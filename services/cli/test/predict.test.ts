/**
 * POST /v1/jobs/{id}/predict end to end, with real processes: `trainyard start api` (and its inference
 * processes) and `trainyard start worker`, which trains two LeNet-5 models on the synthetic set. The
 * answers are checked against the downloaded model run in plain TensorFlow.js (cpu backend) in this
 * process; every limit answers its 4xx code; a model unloaded to make room is loaded again; the API's
 * event loop stays responsive while predictions run; and `trainyard jobs predict` prints the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CLI_MAIN, encodePng, startLiveService, type LiveService } from '../src/testing/live-service.js';

interface Prediction {
  top: Array<{ index: number; class: string; probability: number }>;
}

/** LeNet-5 at 28x28x1 with 10 classes holds 44,426 float32 weights (177,704 bytes): one fits, two do not. */
const CACHE = '250kb';
const MAX_IMAGES = 6;
const CONCURRENT = 2;

/** A deterministic byte generator (the tests must not differ from run to run). */
function bytes(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** A smooth colour image. */
function smooth(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        out[(y * width + x) * channels + c] = Math.round(127.5 + 127.5 * Math.sin((x * (c + 1) + y * seed) / (width / 6)));
      }
    }
  }
  return out;
}

/** Flat 32 x 32 blocks: a megapixel image in a few tens of kilobytes, which still has every pixel to decode. */
function blocks(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = ((x >> 5) * 37 + (y >> 5) * 91 + c * 53 + seed * 17) & 255;
    }
  }
  return out;
}

describe('prediction over REST', () => {
  let service: LiveService;
  let scratch: string;
  let auth: { authorization: string };
  const models: string[] = [];

  const api = (path: string, init: RequestInit = {}, key = auth) =>
    fetch(`${service.url}${path}`, { ...init, headers: { ...key, ...(init.headers as Record<string, string> | undefined) } });

  function imagesForm(images: Array<{ name: string; png: Uint8Array }>): FormData {
    const form = new FormData();
    for (const image of images) form.append('images', new Blob([Buffer.from(image.png)]), image.name);
    return form;
  }

  async function predictImages(job: string, images: Array<{ name: string; png: Uint8Array }>, query = '', key = auth) {
    return api(`/v1/jobs/${job}/predict${query}`, { method: 'POST', body: imagesForm(images) }, key);
  }

  async function predictJson(job: string, body: unknown, query = '', key = auth) {
    return api(
      `/v1/jobs/${job}/predict${query}`,
      { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
      key,
    );
  }

  async function expectError(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
    const text = await response.text();
    assert.equal(response.status, status, text);
    const body = JSON.parse(text) as { error: { code: string; details?: Record<string, unknown> } };
    assert.equal(body.error.code, code, text);
    return body.error.details ?? {};
  }

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, ...service.env, TRAINYARD_API_KEY: service.key };
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: scratch });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, stdout, stderr };
  }

  async function keyFor(tenant: string): Promise<{ authorization: string }> {
    const made = await cli(['keys', 'create', '--tenant', tenant]);
    assert.equal(made.code, 0, made.stderr);
    return { authorization: `Bearer ${made.stdout.trim().split('\n').at(-1)}` };
  }

  async function waitForJob(id: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const job = (await (await api(`/v1/jobs/${id}`)).json()) as Record<string, unknown>;
      if (['succeeded', 'failed', 'cancelled'].includes(String(job.status))) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  before(async () => {
    await tf.setBackend('cpu');
    scratch = mkdtempSync(join(tmpdir(), 'trainyard-predict-'));
    service = await startLiveService({
      tenant: 'predict',
      env: {
        PREDICT_MAX_IMAGES: String(MAX_IMAGES),
        MAX_CONCURRENT_PREDICTIONS_PER_TENANT: String(CONCURRENT),
        PREDICT_CACHE_MEMORY: CACHE,
        PREDICT_BODY_LIMIT: '1mb',
      },
    });
    auth = { authorization: `Bearer ${service.key}` };
    for (const seed of [1, 2]) {
      models.push(await submitLenet(seed));
    }
    for (const id of models) {
      const job = await waitForJob(id);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
    }
  });
  after(async () => {
    await service?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function submitLenet(seed: number): Promise<string> {
    const response = await api('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 1, seed } }),
    });
    assert.equal(response.status, 201);
    return ((await response.json()) as { id: string }).id;
  }

  /** The downloaded model, run in plain TensorFlow.js: probabilities per input. */
  async function reference(job: string, inputs: tf.Tensor4D): Promise<number[][]> {
    const model = await tf.loadLayersModel(`${service.url}/v1/jobs/${job}/model/model.json`, { requestInit: { headers: auth } });
    try {
      const output = model.predict(inputs) as tf.Tensor;
      const rows = (await output.array()) as number[][];
      output.dispose();
      return rows;
    } finally {
      model.dispose();
    }
  }

  function assertMatches(predictions: Prediction[], expected: number[][], tolerance: number): void {
    assert.equal(predictions.length, expected.length);
    predictions.forEach((prediction, i) => {
      assert.equal(prediction.top.length, 10);
      for (const entry of prediction.top) {
        assert.equal(entry.class, `class_${entry.index}`, 'class names come from the dataset');
        assert.ok(
          Math.abs(entry.probability - expected[i]![entry.index]!) <= tolerance,
          `input ${i}, class ${entry.index}: ${entry.probability} vs ${expected[i]![entry.index]}`,
        );
      }
      const sorted = [...prediction.top].sort((a, b) => b.probability - a.probability);
      assert.deepEqual(
        prediction.top.map((e) => e.index),
        sorted.map((e) => e.index),
        'most probable first',
      );
    });
  }

  test('multipart images: the same probabilities as the downloaded model in plain tfjs, in input order', async () => {
    const grays = [1, 2, 3, 4].map((seed) => bytes(28 * 28, seed));
    const images = grays.map((pixels, i) => ({ name: `digit-${i}.png`, png: encodePng(28, 28, 1, pixels) }));
    const response = await predictImages(models[0]!, images, '?top=10');
    assert.equal(response.status, 200, await response.clone().text());
    const { predictions } = (await response.json()) as { predictions: Prediction[] };
    const inputs = tf.tidy(() =>
      tf.tensor4d(
        Float32Array.from(
          grays.flatMap((g) => [...g]),
          (v) => v / 255,
        ),
        [4, 28, 28, 1],
      ),
    );
    assertMatches(predictions, await reference(models[0]!, inputs), 1e-4);
    inputs.dispose();
  });

  test('a larger RGB image is converted to the model channels and resized as in training', async () => {
    const rgb = smooth(56, 42, 3, 3);
    const response = await predictImages(models[0]!, [{ name: 'photo.png', png: encodePng(56, 42, 3, rgb) }], '?top=10');
    assert.equal(response.status, 200, await response.clone().text());
    const { predictions } = (await response.json()) as { predictions: Prediction[] };
    // Luma (ITU-R BT.601), then bilinear with half-pixel centres; the service rounds both to 8 bits.
    const input = tf.tidy(() => {
      const image = tf.tensor3d(Float32Array.from(rgb), [42, 56, 3]);
      const luma = image.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(-1, true);
      return tf.image
        .resizeBilinear(luma as tf.Tensor3D, [28, 28], false, true)
        .div(255)
        .expandDims(0) as tf.Tensor4D;
    });
    assertMatches(predictions, await reference(models[0]!, input), 0.02);
    input.dispose();
  });

  test('JSON instances: the same probabilities; top=K lists K classes, default 5', async () => {
    const instances = [5, 6, 7].map((seed) => {
      const values = bytes(28 * 28, seed);
      return Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => [values[y * 28 + x]! / 255]));
    });
    const response = await predictJson(models[1]!, { instances }, '?top=10');
    assert.equal(response.status, 200, await response.clone().text());
    const { predictions } = (await response.json()) as { predictions: Prediction[] };
    const inputs = tf.tensor4d(instances.flat(3), [3, 28, 28, 1]);
    assertMatches(predictions, await reference(models[1]!, inputs), 1e-4);
    inputs.dispose();

    const three = (await (await predictJson(models[1]!, { instances }, '?top=3')).json()) as { predictions: Prediction[] };
    assert.deepEqual(
      three.predictions.map((p) => p.top.length),
      [3, 3, 3],
    );
    assert.deepEqual(three.predictions[0]!.top, predictions[0]!.top.slice(0, 3));
    const byDefault = (await (await predictJson(models[1]!, { instances })).json()) as { predictions: Prediction[] };
    assert.deepEqual(
      byDefault.predictions.map((p) => p.top.length),
      [5, 5, 5],
    );
  });

  test('trainyard jobs predict prints the same top classes', async () => {
    const images = [1, 2].map((seed) => ({ name: `cli-${seed}.png`, png: encodePng(28, 28, 1, bytes(28 * 28, seed)) }));
    const files = images.map((image) => {
      const file = join(scratch, image.name);
      writeFileSync(file, image.png);
      return file;
    });
    const viaRest = (await (await predictImages(models[0]!, images, '?top=3')).json()) as { predictions: Prediction[] };
    const json = await cli(['jobs', 'predict', models[0]!, ...files, '--top', '3', '--json', '--api', service.url]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), viaRest);
    const human = await cli(['jobs', 'predict', models[0]!, ...files, '--api', service.url]);
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]!.startsWith(files[0]!));
    assert.ok(lines[0]!.includes(`${viaRest.predictions[0]!.top[0]!.class} `), lines[0]);
    const refused = await cli(['jobs', 'predict', models[0]!, join(scratch, 'missing.png'), '--api', service.url]);
    assert.notEqual(refused.code, 0);
  });

  test('each limit answers 4xx with its own code', async () => {
    const job = models[0]!;
    const png = (seed: number) => ({ name: `${seed}.png`, png: encodePng(28, 28, 1, bytes(28 * 28, seed)) });
    const tooMany = Array.from({ length: MAX_IMAGES + 1 }, (_, i) => png(i));
    let details = await expectError(await predictImages(job, tooMany), 413, 'predict_images_limit');
    assert.equal(details.limit, MAX_IMAGES);
    assert.equal(details.variable, 'PREDICT_MAX_IMAGES');
    const instance = Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [0.5]));
    await expectError(
      await predictJson(job, { instances: Array.from({ length: MAX_IMAGES + 1 }, () => instance) }),
      413,
      'predict_images_limit',
    );

    details = await expectError(await predictImages(job, [{ name: 'big.png', png: bytes(1100 * 1024, 9) }]), 413, 'predict_body_too_large');
    assert.equal(details.variable, 'PREDICT_BODY_LIMIT');
    // Straight to the API: the answer comes before the body is sent, which the checking proxy does not relay.
    const oversized = await fetch(`${service.apiUrl}/v1/jobs/${job}/predict`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [instance], padding: 'x'.repeat(1100 * 1024) }),
    });
    await expectError(oversized, 413, 'predict_body_too_large');

    // Bad images are refused as dataset uploads refuse them, naming the file.
    await expectError(
      await predictImages(job, [png(1), { name: 'notes.png', png: new TextEncoder().encode('not an image') }]),
      422,
      'dataset_malformed',
    );
    await expectError(await predictImages(job, [{ name: 'cut.png', png: png(1).png.subarray(0, 60) }]), 422, 'dataset_malformed');
    const huge = Buffer.from(png(1).png);
    huge.writeUInt32BE(8000, 16); // the header claims 8000 x 8000 pixels: refused before decoding
    huge.writeUInt32BE(8000, 20);
    details = await expectError(await predictImages(job, [{ name: 'huge.png', png: huge }]), 413, 'image_pixels_limit');
    assert.deepEqual(details.limit, { option: 'maxImagePixels', value: 4096 * 4096 });

    await expectError(await predictJson(job, { instances: [[[0.5]]] }), 422, 'prediction_input_invalid');
    const outOfRange = instance.map((row) => row.map(() => [1.5]));
    await expectError(await predictJson(job, { instances: [outOfRange] }), 422, 'prediction_input_invalid');
    await expectError(await predictJson(job, { instances: [] }), 400, 'validation_failed');
    await expectError(await predictJson(job, { images: [instance] }), 400, 'validation_failed');
    await expectError(
      await api(`/v1/jobs/${job}/predict`, { method: 'POST', body: '{"instances": [', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_json',
    );
    await expectError(
      await api(`/v1/jobs/${job}/predict`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
    await expectError(await predictImages(job, [png(1)], '?top=0'), 400, 'validation_failed');
    await expectError(await predictImages(job, [png(1)], '?top=two'), 400, 'validation_failed');

    await expectError(await predictImages('00000000-0000-4000-8000-000000000000', [png(1)]), 404, 'not_found');
    await expectError(await predictImages(job, [png(1)], '', await keyFor('someone-else')), 404, 'not_found');
    const queued = await api('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 50 } }),
    });
    const queuedId = ((await queued.json()) as { id: string }).id;
    await expectError(await predictImages(queuedId, [png(1)]), 409, 'job_not_finished');
    await api(`/v1/jobs/${queuedId}/cancel`, { method: 'POST' });

    // The service is still healthy.
    assert.equal((await predictImages(job, [png(1)])).status, 200);
  });

  test('a kept-alive connection whose prediction was refused part-way serves the next request', async () => {
    // One socket, reused as soon as the refused body has been written: the API must read the rest of it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (path: string, method: string, headers: Record<string, string | number>, body?: Buffer) =>
      new Promise<{ status: number; text: string; reused: boolean }>((resolve, reject) => {
        const request = httpRequest(`${service.apiUrl}${path}`, { method, agent, headers: { ...auth, ...headers } }, (answer) => {
          let text = '';
          answer.setEncoding('utf8');
          answer.on('data', (chunk: string) => (text += chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text, reused: request.reusedSocket }));
        });
        request.setTimeout(20_000, () => request.destroy(new Error(`${method} ${path}: no answer within 20 s`)));
        request.on('error', reject);
        request.end(body);
      });
    try {
      const form = new Response(imagesForm([{ name: 'big.png', png: bytes(3 * 1024 * 1024, 4) }]));
      const body = Buffer.from(await form.arrayBuffer());
      const contentType = form.headers.get('content-type')!;
      const refused = await send(
        `/v1/jobs/${models[0]}/predict`,
        'POST',
        { 'content-type': contentType, 'content-length': body.length },
        body,
      );
      assert.equal(refused.status, 413, refused.text);
      const next = await send(`/v1/jobs/${models[0]}`, 'GET', {});
      assert.equal(next.status, 200, next.text);
      assert.ok(next.reused, 'the second request went over the connection of the first');
    } finally {
      agent.destroy();
    }
  });

  test('MAX_CONCURRENT_PREDICTIONS_PER_TENANT: a third request while two are in progress answers 429; other tenants are served', async () => {
    const url = new URL(`${service.url}/v1/jobs/${models[0]}/predict`);
    const image = [{ name: 'a.png', png: encodePng(28, 28, 1, bytes(28 * 28, 1)) }];
    const outcomes: string[] = [];
    /** Uploads still arriving hold their places; they are opened before the probe is sent. */
    const hold = async () => {
      const requests = Array.from({ length: CONCURRENT }, () => {
        const request = httpRequest(url, {
          method: 'POST',
          agent: false,
          headers: { ...auth, 'content-type': 'multipart/form-data; boundary=held', 'transfer-encoding': 'chunked' },
        });
        request.on('error', (error) => outcomes.push(`error ${error.message}`));
        request.on('response', (answer) => outcomes.push(`answered ${answer.statusCode}`));
        request.write('--held\r\nContent-Disposition: form-data; name="images"; filename="slow.png"\r\n\r\n');
        return request;
      });
      await Promise.all(requests.map((request) => once(request, 'socket')));
      return requests;
    };
    const waitForFreePlaces = async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const retry = await predictImages(models[0]!, image);
        await retry.arrayBuffer();
        if (retry.status === 200) return;
        assert.equal(retry.status, 429);
        assert.ok(Date.now() < deadline, 'places were not given back');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let held: ReturnType<typeof httpRequest>[] = [];
    let response: Response | undefined;
    // The probe must reach the API after the held requests: give them time, more on each try.
    for (let attempt = 1; attempt <= 5; attempt++) {
      held = await hold();
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      response = await predictImages(models[0]!, image);
      if (response.status === 429) break;
      await response.arrayBuffer();
      for (const request of held) request.destroy();
      await waitForFreePlaces();
    }
    assert.equal(response!.status, 429, `the held requests: ${outcomes.join(', ')}`);
    const details = await expectError(response!, 429, 'concurrent_predictions_limit');
    assert.equal(details.limit, CONCURRENT);
    assert.equal(details.variable, 'MAX_CONCURRENT_PREDICTIONS_PER_TENANT');
    assert.equal(response!.headers.get('retry-after'), '1');

    // The limit is the tenant's: another tenant's request goes on to the job lookup (and does not find this tenant's job).
    await expectError(await predictImages(models[0]!, image, '', await keyFor('another-tenant')), 404, 'not_found');

    for (const request of held) request.destroy();
    await waitForFreePlaces(); // closed connections give their places back
  });

  test('PREDICT_CACHE_MEMORY: a model unloaded to make room is loaded again on its next call, with the same answers', async () => {
    const [a, b] = models as [string, string];
    const image = [{ name: 'a.png', png: encodePng(28, 28, 1, bytes(28 * 28, 11)) }];
    const call = async (job: string) => {
      const response = await predictImages(job, image, '?top=10');
      assert.equal(response.status, 200);
      return { cache: response.headers.get('x-model-cache'), body: await response.json() };
    };
    await call(a);
    const warm = await call(a);
    assert.equal(warm.cache, 'hit');
    assert.equal((await call(b)).cache, 'miss');
    const reloaded = await call(a);
    assert.equal(reloaded.cache, 'miss', 'a was unloaded to make room for b');
    assert.deepEqual(reloaded.body, warm.body);
    assert.equal((await call(a)).cache, 'hit');
    const unloaded = service.api.lines.filter((line) => line.msg === 'models unloaded to make room');
    assert.ok(
      unloaded.some((line) => (line.evicted as string[]).includes(a)),
      JSON.stringify(unloaded),
    );
  });

  test('the OpenAPI document describes the route: both request bodies, the answer, and every limit by its code', async () => {
    const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
    const operation = document.paths['/v1/jobs/{id}/predict']!.post;
    assert.equal(operation.operationId, 'predictWithJobModel');
    const body = operation.requestBody.content;
    assert.equal(body['multipart/form-data'].schema.properties.images.items.format, 'binary');
    assert.equal(body['application/json'].schema.properties.instances.type, 'array');
    const answer = operation.responses['200'].content['application/json'].schema;
    assert.deepEqual(answer.properties.predictions.items.properties.top.items.required, ['index', 'class', 'probability']);
    assert.ok(operation.responses['200'].headers['x-model-cache']);
    assert.ok(operation.parameters.some((parameter: { in: string; name: string }) => parameter.in === 'query' && parameter.name === 'top'));
    const codes = (status: number) =>
      operation.responses[String(status)].content['application/json'].schema.properties.error.properties.code.enum;
    assert.ok(
      codes(413).includes('predict_images_limit') &&
        codes(413).includes('predict_body_too_large') &&
        codes(413).includes('dataset_too_large'),
    );
    assert.ok(codes(429).includes('concurrent_predictions_limit'));
    assert.ok(codes(422).includes('dataset_malformed') && codes(422).includes('prediction_input_invalid'));
  });

  test("the API's event loop stays free while predictions run in the inference processes", async () => {
    /** The event-loop delay since the previous scrape (the monitor restarts at each one). */
    const eventLoopDelay = async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const value = (name: string) => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`trainyard_api_nodejs_eventloop_lag_${name}_seconds `));
        assert.ok(line, name);
        return Number(line.split(' ')[1]);
      };
      return { p99: value('p99'), max: value('max') };
    };
    await eventLoopDelay();
    // Decoding and resizing 6 images of 1024 x 1024 takes a few hundred milliseconds of CPU per request:
    // done on the event loop, it would hold it that long, many times over.
    const images = [1, 2, 3, 4, 5, 6].map((seed) => ({ name: `${seed}.png`, png: encodePng(1024, 1024, 3, blocks(1024, 1024, 3, seed)) }));
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        const answers: number[] = [];
        for (let i = 0; i < 6; i++) {
          const response = await predictImages(models[0]!, images);
          await response.arrayBuffer();
          answers.push(response.status);
        }
        return answers;
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual([...new Set(statuses.flat())], [200]);
    const { p99, max } = await eventLoopDelay();
    process.stderr.write(
      `12 requests of 6 images of 1024x1024 in ${seconds.toFixed(1)} s: event-loop delay p99 ${(p99 * 1000).toFixed(1)} ms, max ${(max * 1000).toFixed(1)} ms\n`,
    );
    // On the event loop, each request would hold it for over half a second (pngjs decodes 1 MP in ~0.1 s here).
    assert.ok(p99 < 0.2, `event-loop delay p99 ${p99} s`);
  });
});
