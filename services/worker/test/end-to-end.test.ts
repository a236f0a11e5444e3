/**
 * Issue 4's "done when", with real processes: `trainyard start api` and `trainyard start worker`,
 * a fresh Postgres database, Redis, and object storage (s3rver, then local disk). A LeNet-5 job on the
 * synthetic builtin dataset is submitted over HTTP, polled to `succeeded`, its metrics, evaluation and
 * model are read back, and the model is loaded with plain @tensorflow/tfjs straight from the API: its
 * predictions on the test images must give the top-1 accuracy the service reported.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { openBuiltinDataset } from '@trainyard/cnn/data';
import { createApiKey, ServiceProcess, startServices, untar, waitFor, type Services } from './harness.js';

const EPOCHS = 2;

/** An IDX pair (images, labels) of the synthetic set's first `count` test images, as a user would upload. */
async function idxFiles(count: number): Promise<{ images: Buffer; labels: Buffer }> {
  const dataset = await openBuiltinDataset('synthetic');
  const batch = dataset.test.read(Array.from({ length: count }, (_, i) => i));
  const [height, width] = dataset.inputShape;
  const images = Buffer.alloc(16 + count * height * width);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(height, 8);
  images.writeUInt32BE(width, 12);
  for (let i = 0; i < batch.x.length; i++) images[16 + i] = Math.round(batch.x[i]! * 255);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = batch.y[i]!;
  return { images, labels };
}

function endToEnd(storage: 'disk' | 's3') {
  describe(`end to end with ${storage === 's3' ? 'S3 (s3rver)' : 'local-disk'} storage`, () => {
    const processes: ServiceProcess[] = [];
    let services: Services;
    let base: string;
    let headers: Record<string, string>;
    let worker: ServiceProcess;
    let firstJobId: string;

    async function submitAndWait(body: unknown): Promise<Record<string, unknown>> {
      const submitted = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(submitted.status, 201, await submitted.clone().text());
      const { id } = (await submitted.json()) as { id: string };
      const job = await waitFor(
        async () => {
          const current = (await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json()) as Record<string, unknown>;
          return ['succeeded', 'failed', 'cancelled'].includes(current.status as string) ? current : undefined;
        },
        120_000,
        'the job to finish',
      );
      assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${worker.tail()}`);
      return job;
    }
    after(async () => {
      for (const p of processes) {
        p.kill('SIGTERM');
        await p.exited;
      }
      await services?.close();
    });

    test('submit LeNet-5, poll to succeeded, read metrics and evaluation, download the model and check it in tfjs', async (t) => {
      services = await startServices({ storage });
      const key = await createApiKey(services, `e2e-${storage}`);
      const api = ServiceProcess.start('api', { ...services.env, PORT: '0', HOST: '127.0.0.1' });
      worker = ServiceProcess.start('worker', services.env);
      processes.push(api, worker);
      const ready = await api
        .waitForLog((line) => line.msg === 'API listening', 60_000)
        .catch((error) => {
          throw new Error(`${error.message}\n${api.tail()}`);
        });
      base = String(ready.address).replace('0.0.0.0', '127.0.0.1');
      headers = { authorization: `Bearer ${key}` };
      const getJson = async (path: string) => {
        const response = await fetch(`${base}${path}`, { headers });
        assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
        return response.json() as Promise<Record<string, unknown>>;
      };

      const submitted = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `lenet5 ${storage}`,
          model: { architecture: 'lenet5' },
          dataset: { builtin: 'synthetic' },
          hyperparameters: { epochs: EPOCHS, batchSize: 64, validationSplit: 0.1, seed: 7 },
        }),
      });
      assert.equal(submitted.status, 201, await submitted.clone().text());
      const created = (await submitted.json()) as { id: string; status: string };
      assert.equal(submitted.headers.get('location'), `/v1/jobs/${created.id}`);
      assert.equal(created.status, 'queued');

      const job = await waitFor(
        async () => {
          const current = await getJson(`/v1/jobs/${created.id}`);
          return current.status === 'succeeded' || current.status === 'failed' || current.status === 'cancelled' ? current : undefined;
        },
        120_000,
        'the job to finish',
      ).catch((error) => {
        throw new Error(`${error.message}\n${worker.tail()}`);
      });
      assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${worker.tail()}`);
      assert.equal(job.attempts, 1);
      firstJobId = created.id;
      assert.equal(typeof job.engine, 'string');
      // A CPU worker here: the device is this machine's processor, named in the view and the metrics.
      const device = job.device as { kind: string; name: string };
      assert.equal(device.kind, 'cpu');
      assert.ok(device.name.length > 0);

      const metrics = (await getJson(`/v1/jobs/${created.id}/metrics`)) as {
        engine: string;
        device: object;
        epochs: Array<Record<string, number | null>>;
      };
      assert.equal(metrics.engine, job.engine);
      assert.deepEqual(metrics.device, device);
      const { epochs } = metrics;
      assert.deepEqual(
        epochs.map((row) => row.epoch),
        [1, 2],
      );
      for (const row of epochs) {
        for (const field of ['trainLoss', 'trainAccuracy', 'validationLoss', 'validationAccuracy', 'learningRate', 'seconds']) {
          assert.equal(typeof row[field], 'number', `${field} of epoch ${row.epoch}`);
        }
      }

      const evaluation = (await getJson(`/v1/jobs/${created.id}/evaluation`)) as {
        top1: number;
        top5: number;
        loss: number;
        classNames: string[];
        perClass: unknown[];
        confusionMatrix: number[][];
      };
      assert.equal(evaluation.classNames.length, 10);
      assert.equal(evaluation.perClass.length, 10);
      assert.equal(
        evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0),
        500,
      );
      assert.ok(evaluation.top1 > 0.5, `top1 ${evaluation.top1}: LeNet-5 learns the synthetic set in two epochs`);

      // The .tar.gz holds the same files the API serves one by one.
      const bundle = await fetch(`${base}/v1/jobs/${created.id}/model`, { headers });
      assert.equal(bundle.status, 200);
      const files = await untar(Buffer.from(await bundle.arrayBuffer()));
      assert.ok(files.has('model.json') && files.has('manifest.json'), [...files.keys()].join());
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { classNames: string[]; architecture: string };
      assert.equal(manifest.architecture, 'lenet5');
      const served = await fetch(`${base}/v1/jobs/${created.id}/model/model.json`, { headers });
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), files.get('model.json'));

      // Plain tfjs, the model loaded from the service's URL with the key, predicting the test images.
      await tf.setBackend('cpu');
      const model = await tf.loadLayersModel(`${base}/v1/jobs/${created.id}/model/model.json`, { requestInit: { headers } });
      const dataset = await openBuiltinDataset('synthetic');
      assert.deepEqual(manifest.classNames, dataset.classNames);
      const indices = Array.from({ length: dataset.test.size }, (_, i) => i);
      const batch = dataset.test.read(indices);
      const predicted = tf.tidy(() => {
        const x = tf.tensor4d(batch.x, [batch.size, ...dataset.inputShape]);
        return (model.predict(x) as tf.Tensor).argMax(-1).dataSync();
      });
      let correct = 0;
      for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.y[i]) correct += 1;
      const accuracy = correct / batch.size;
      t.diagnostic(`engine ${job.engine}: reported top-1 ${evaluation.top1}, plain tfjs (cpu) ${accuracy}`);
      // The worker's engine (wasm) and tfjs's cpu backend round differently: allow one example in 500.
      assert.ok(Math.abs(accuracy - evaluation.top1) <= 1 / batch.size + 1e-9, `tfjs ${accuracy} vs reported ${evaluation.top1}`);
      model.dispose();
    });

    if (storage === 'disk') {
      test('an uploaded IDX dataset is downloaded by the worker and trained on', async () => {
        const { images, labels } = await idxFiles(400);
        const form = new FormData();
        form.append('name', 'synthetic as IDX');
        form.append('images', new Blob([new Uint8Array(images)]), 'images-idx3-ubyte');
        form.append('labels', new Blob([new Uint8Array(labels)]), 'labels-idx1-ubyte');
        const uploaded = await fetch(`${base}/v1/datasets`, { method: 'POST', headers, body: form });
        assert.equal(uploaded.status, 201, await uploaded.clone().text());
        const dataset = (await uploaded.json()) as { id: string };
        const job = await submitAndWait({
          model: { architecture: 'lenet5' },
          dataset: { id: dataset.id },
          hyperparameters: { epochs: 1, validationSplit: 0 },
        });
        const evaluation = (await (await fetch(`${base}/v1/jobs/${job.id}/evaluation`, { headers })).json()) as {
          classNames: string[];
          confusionMatrix: number[][];
        };
        assert.equal(evaluation.classNames.length, 10);
        // IDX brings no test split of its own here: a fifth is held out.
        assert.equal(
          evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0),
          80,
        );
      });

      test('fineTuneFrom starts from the weights of a succeeded job', async () => {
        const job = await submitAndWait({
          model: { architecture: 'lenet5' },
          dataset: { builtin: 'synthetic' },
          hyperparameters: { epochs: 1, validationSplit: 0 },
          fineTuneFrom: firstJobId,
        });
        const loaded = worker.lines.find((line) => line.jobId === job.id && line.msg === 'initial weights loaded');
        assert.ok(loaded, 'the worker loaded the source model');
        assert.ok((loaded.copied as number) > 0);
      });
    }
  });
}

endToEnd('s3');
endToEnd('disk');
