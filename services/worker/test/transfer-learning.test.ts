/**
 * Issue 11's end to end, with real processes (`trainyard start api`, `trainyard start worker`), a
 * fresh Postgres database, Redis and local-disk storage: resnet18 weights made by python3-torch are
 * uploaded, a fine-tune with freeze "backbone" runs on a small image-folder upload read at 64x64,
 * every frozen tensor comes out unchanged, and the safetensors export loads strictly into torchvision
 * and predicts what our tfjs model predicts on the same image. The checkpoint of the last epoch,
 * exported through its own route, holds the same tensors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createApiKey, servicesForTests, untar, waitFor } from './harness.js';

const PYTHON = '/usr/bin/python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' }).status === 0;
// In CI the test must run: without PyTorch it fails there instead of skipping.
const skip = !torchAvailable && process.env.CI !== 'true' ? 'needs python3-torch, python3-torchvision and python3-pil' : false;

/**
 * Writes, into argv[1]: resnet18.pth (seeded ImageNet-shaped weights, 1000 classes, torch.save zip
 * format); images.zip (3 classes x 12 RGB images of 40x48, one folder per class, each class a colour
 * and a bar position); probe.bin (one 64x64x3 image of [0, 1] floats, HWC order).
 */
const MAKE_FILES = String.raw`
import io, os, sys, zipfile, numpy as np, torch, torchvision
from PIL import Image
out = sys.argv[1]
torch.manual_seed(11)
torch.save(torchvision.models.resnet18().state_dict(), os.path.join(out, 'resnet18.pth'))
rng = np.random.default_rng(11)
with zipfile.ZipFile(os.path.join(out, 'images.zip'), 'w') as archive:
    for c, name in enumerate(['red', 'green', 'blue']):
        for i in range(12):
            pixels = rng.integers(0, 80, size=(40, 48, 3), dtype=np.uint8)
            pixels[:, :, c] += 120
            pixels[8 * c:8 * c + 10, :, :] = 230
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format='PNG')
            archive.writestr(f'{name}/{i}.png', buffer.getvalue())
rng.random((64, 64, 3), dtype=np.float32).tofile(os.path.join(out, 'probe.bin'))
`;

/**
 * argv: the original .pth, the exported .safetensors, the checkpoint's .safetensors, probe.bin.
 * Prints JSON: frozen tensors that differ from the original, tensors differing between the two
 * exports, the metadata, and torchvision's softmax on the probe normalised as the metadata says.
 */
const CHECK = String.raw`
import json, struct, sys, numpy as np, torch, torchvision
original = torch.load(sys.argv[1])
def read_safetensors(path):
    raw = open(path, 'rb').read()
    size = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    metadata = header.pop('__metadata__', {})
    dtypes = {'F32': np.float32, 'I64': np.int64}
    tensors = {}
    for name, info in header.items():
        start, end = info['data_offsets']
        array = np.frombuffer(raw[8 + size + start:8 + size + end], dtype=dtypes[info['dtype']]).reshape(info['shape'])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata
exported, metadata = read_safetensors(sys.argv[2])
checkpoint, _ = read_safetensors(sys.argv[3])
classes = len(json.loads(metadata['classNames']))
model = torchvision.models.resnet18(num_classes=classes)
model.load_state_dict(exported, strict=True)
model.eval()
changed = [name for name, value in original.items()
           if not name.startswith('fc.') and not name.endswith('num_batches_tracked') and not torch.equal(value, exported[name])]
differing = [name for name in exported if not torch.equal(exported[name], checkpoint[name])]
normalization = json.loads(metadata['normalization'])
probe = torch.from_numpy(np.fromfile(sys.argv[4], dtype=np.float32).reshape(1, 64, 64, 3)).permute(0, 3, 1, 2)
mean = torch.tensor(normalization['mean']).view(1, 3, 1, 1)
std = torch.tensor(normalization['std']).view(1, 3, 1, 1)
with torch.no_grad():
    probabilities = torch.softmax(model((probe - mean) / std), dim=1)[0].tolist()
print(json.dumps({'changed': changed, 'differing': differing, 'metadata': metadata, 'probabilities': probabilities}))
`;

describe('transfer learning end to end: torchvision weights in, frozen backbone, PyTorch weights out', { skip }, () => {
  const fixture = servicesForTests({ storage: 'disk' });

  test(
    'upload resnet18 weights, fine-tune on a 64x64 image folder with the backbone frozen, check the export in torchvision',
    { timeout: 900_000 },
    async () => {
      const { services } = fixture;
      const dir = services.scratch;
      execFileSync(PYTHON, ['-c', MAKE_FILES, dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
      const key = await createApiKey(services, 'transfer');
      const api = fixture.start('api', { PORT: '0', HOST: '127.0.0.1', UPLOAD_LIMIT: '100mb' });
      const worker = fixture.start('worker');
      const ready = await api.waitForLog((line) => line.msg === 'API listening', 60_000);
      const base = String(ready.address).replace('0.0.0.0', '127.0.0.1');
      const headers = { authorization: `Bearer ${key}` };
      const upload = async (path: string, file: string, fields: Record<string, string>) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append('file', new Blob([await readFile(join(dir, file))]), file);
        const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: form });
        assert.equal(response.status, 201, await response.clone().text());
        return (await response.json()) as Record<string, unknown> & { id: string };
      };
      const download = async (path: string) => {
        const response = await fetch(`${base}${path}`, { headers });
        assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
        return Buffer.from(await response.arrayBuffer());
      };

      // 1. The weights, and the image folder read at 64x64.
      const weights = await upload('/v1/weights', 'resnet18.pth', { architecture: 'resnet18' });
      assert.deepEqual([weights.format, weights.classes], ['torch-zip', 1000]);
      const dataset = await upload('/v1/datasets', 'images.zip', { imageSize: '64,64', testFraction: '0.25' });
      assert.deepEqual(dataset.inputShape, [64, 64, 3]);

      // 2. The fine-tune: a new 3-class head on the frozen backbone.
      const submitted = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: { architecture: 'resnet18', pretrained: { weightsId: weights.id }, freeze: 'backbone' },
          dataset: { id: dataset.id },
          hyperparameters: { epochs: 2, batchSize: 9, learningRate: 0.01, seed: 3 },
        }),
      });
      assert.equal(submitted.status, 201, await submitted.clone().text());
      const { id } = (await submitted.json()) as { id: string };
      const job = await waitFor(
        async () => {
          const current = (await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json()) as Record<string, unknown>;
          return ['succeeded', 'failed', 'cancelled'].includes(current.status as string) ? current : undefined;
        },
        600_000,
        'the fine-tune to finish',
      );
      assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${worker.tail()}`);
      assert.equal((job.spec as { hyperparameters: { normalize: string } }).hyperparameters.normalize, 'imagenet');

      // 3 and 4. The exports: safetensors of the model and of the last checkpoint, and the tfjs model.
      await writeFile(join(dir, 'model.safetensors'), await download(`/v1/jobs/${id}/model?format=safetensors`));
      await writeFile(join(dir, 'checkpoint.safetensors'), await download(`/v1/jobs/${id}/checkpoints/2/model?format=safetensors`));
      const checkpointBundle = await untar(await download(`/v1/jobs/${id}/checkpoints/2/model?format=tfjs`));
      assert.ok(checkpointBundle.has('model.json') && checkpointBundle.has('manifest.json'));
      const bundle = await untar(await download(`/v1/jobs/${id}/model`));
      const check = JSON.parse(
        execFileSync(
          PYTHON,
          [
            '-c',
            CHECK,
            join(dir, 'resnet18.pth'),
            join(dir, 'model.safetensors'),
            join(dir, 'checkpoint.safetensors'),
            join(dir, 'probe.bin'),
          ],
          {
            encoding: 'utf8',
            timeout: 300_000,
          },
        ),
      ) as { changed: string[]; differing: string[]; metadata: Record<string, string>; probabilities: number[] };
      assert.deepEqual(check.changed, [], 'every frozen tensor, batch-norm statistics included, is the uploaded one');
      assert.deepEqual(check.differing, [], 'the last checkpoint exports the same tensors as the model');
      assert.deepEqual(JSON.parse(check.metadata.classNames!), ['blue', 'green', 'red']);
      assert.deepEqual(JSON.parse(check.metadata.inputShape!), [64, 64, 3]);
      const normalization = JSON.parse(check.metadata.normalization!) as { mean: number[]; std: number[] };
      normalization.mean.forEach((m, c) => assert.ok(Math.abs(m - [0.485, 0.456, 0.406][c]!) < 1e-6));

      const files = new Map([...bundle].map(([name, bytes]) => [name, bytes]));
      const modelJson = JSON.parse(files.get('model.json')!.toString()) as {
        modelTopology: object;
        weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
      };
      const shards = modelJson.weightsManifest[0]!.paths.map((path) => files.get(path)!);
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest[0]!.weights,
          weightData: new Uint8Array(Buffer.concat(shards)).buffer,
        }),
      );
      const probe = new Float32Array((await readFile(join(dir, 'probe.bin'))).buffer.slice(0));
      const ours = Array.from((model.predict(tf.tensor4d(probe, [1, 64, 64, 3])) as tf.Tensor).dataSync());
      const scale = Math.max(...check.probabilities.map(Math.abs));
      const gap = Math.max(...ours.map((p, i) => Math.abs(p - check.probabilities[i]!))) / scale;
      assert.ok(gap <= 1e-4, `max|ours - torchvision| / max|torchvision| = ${gap} (ours ${ours}, torchvision ${check.probabilities})`);
    },
  );
});
