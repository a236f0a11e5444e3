/**
 * Beyond parameter counts: with the same weights, our models compute what torchvision 0.14's compute.
 * Each case is built here with random weights and random batch-norm statistics, run in inference mode
 * (every head), and its weights are loaded into torchvision's model of the same name by module path
 * (`layer2.0.conv1/kernel` -> `layer2.0.conv1.weight`, transposed to PyTorch's layouts); torchvision's
 * outputs must match ours to float precision. The cases cover strided padding, ceil_mode pooling,
 * GoogLeNet's auxiliary heads (adaptive pooling to 4x4 with uneven windows), dense blocks and
 * Inception v3's count_include_pad pooling, at odd sizes.
 *
 * Needs Debian's python3-torch and python3-torchvision (`apt-get install -y python3-torch
 * python3-torchvision`); skipped, saying so, where they are not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { initEngine } from '../src/engine/index.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import type { BuildOptions } from '../src/types.js';

const PYTHON = '/usr/bin/python3';
/** Images per case; more than two so that batch statistics are not degenerate. */
const BATCH = 8;
const MIN_VARIANCE = 0.01;
/** Relative to the largest output; a wrong layer gives differences of order 1. */
const TOLERANCE = 1e-3;
const CASES: Array<[string, BuildOptions]> = [
  ['resnet18', { inputShape: [50, 50, 3], classes: 7 }],
  ['googlenet', { inputShape: [67, 67, 3], classes: 7 }],
  ['densenet121', { inputShape: [64, 64, 3], classes: 7 }],
  ['inception_v3', { inputShape: [107, 107, 3], classes: 7, auxLogits: false }],
];

/**
 * Loads each case's weights into torchvision and prints, per case, the largest difference of each
 * output relative to the largest magnitude of torchvision's.
 */
const COMPARE = String.raw`
import json, sys, numpy as np, torch, torchvision.models as m, warnings
warnings.filterwarnings('ignore')
torch.set_num_threads(1)
BN = {'gamma': 'weight', 'beta': 'bias', 'moving_mean': 'running_mean', 'moving_variance': 'running_var', 'bias': 'bias'}
result = {}
for case in json.load(open(sys.argv[1] + '/cases.json')):
    blob = np.fromfile(sys.argv[1] + '/' + case['file'], dtype=np.float32)
    aux = case['auxLogits']
    kw = {'num_classes': case['classes']}
    if case['name'] in ('googlenet', 'inception_v3'):
        kw.update(init_weights=False, aux_logits=aux)
    model = getattr(m, case['name'])(**kw).eval()
    state = model.state_dict()
    for w in case['weights']:
        a = blob[w['offset']:w['offset'] + int(np.prod(w['shape']))].reshape(w['shape'])
        layer, kind = w['name'].rsplit('/', 1)
        if kind == 'kernel' and a.ndim == 4:
            key, a = layer + '.weight', a.transpose(3, 2, 0, 1)
        elif kind == 'kernel':
            if layer.endswith('.fc1'):
                # GoogLeNet's auxiliary fc1 reads a flattened 4x4x128 map: tfjs flattens HWC, PyTorch CHW.
                a = a.reshape(4, 4, 128, -1).transpose(2, 0, 1, 3).reshape(2048, -1)
            key, a = layer + '.weight', a.T
        else:
            key = layer + '.' + BN[kind]
        assert tuple(state[key].shape) == a.shape, (key, state[key].shape, a.shape)
        state[key] = torch.from_numpy(np.ascontiguousarray(a))
    model.load_state_dict(state)
    heads = {}
    if case['name'] == 'googlenet' and aux:
        model.inception4a.register_forward_hook(lambda mod, i, o: heads.__setitem__('aux1', o))
        model.inception4d.register_forward_hook(lambda mod, i, o: heads.__setitem__('aux2', o))
    x = torch.from_numpy(np.fromfile(sys.argv[1] + '/' + case['input'], dtype=np.float32).reshape(case['inputShape']).transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        outputs = [model(x)]
        if heads:
            outputs += [model.aux2(heads['aux2']), model.aux1(heads['aux1'])]
    ours = [np.array(o).reshape(t.shape) for o, t in zip(case['outputs'], outputs)]
    result[case['name']] = [float(np.abs(a - t.numpy()).max() / np.abs(t.numpy()).max()) for a, t in zip(ours, outputs)]
print(json.dumps(result))
`;

function torchvisionAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision; assert torchvision.__version__.startswith("0.14")'], {
    encoding: 'utf8',
  });
  return probe.status === 0;
}

/**
 * Random batch-norm scales and shifts, then moving statistics equal to the statistics of `x` itself,
 * layer by layer. Random statistics would not do: with GoogLeNet's N(0, 0.01) weights the
 * activations are tiny, inference-mode batch norm would turn them into constants and the outputs would
 * hardly depend on the input, so a wrong layer could go unnoticed. Calibrated, every layer's output
 * keeps unit scale and the logits depend on the image (checked below).
 */
function randomizeBatchNorm(model: tf.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    for (const weight of model.weights) {
      const kind = weight.originalName.split('/').pop();
      if (kind === 'beta') weight.write(tf.randomUniform(weight.shape as number[], -0.2, 0.2));
      if (kind === 'gamma') weight.write(tf.randomUniform(weight.shape as number[], 0.5, 1.5));
    }
  });
  // tfjs updates moving statistics by (1 - momentum) of the batch's in each training-mode call: with
  // momentum 0, one call sets them to the batch's (the same biased variance inference then uses).
  const batchNorms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  const settable = (layer: tf.layers.Layer) => layer as unknown as { momentum: number };
  const momenta = batchNorms.map((layer) => settable(layer).momentum);
  batchNorms.forEach((layer) => (settable(layer).momentum = 0));
  tf.tidy(() => {
    model.apply(x, { training: true });
  });
  batchNorms.forEach((layer, i) => (settable(layer).momentum = momenta[i]));
  // A channel with (almost) no variance would divide float rounding by sqrt(eps): floor it.
  tf.tidy(() => {
    for (const weight of model.weights) {
      if (weight.originalName.endsWith('/moving_variance')) weight.write(tf.maximum(weight.read(), MIN_VARIANCE));
    }
  });
}

test(
  "with the same weights, the models compute what torchvision's compute",
  {
    skip:
      process.env.CI !== 'true' &&
      !torchvisionAvailable() &&
      'python3-torch / python3-torchvision 0.14 not installed (with CI=true this test runs, and fails)',
  },
  async () => {
    await initEngine();
    seedrandom('models-torch-parity', { global: true });
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-parity-'));
    try {
      const cases = [];
      for (const [name, options] of CASES) {
        const built = buildModel(name, options);
        try {
          const x = tf.randomUniform([BATCH, ...options.inputShape]);
          randomizeBatchNorm(built.training, x);
          const outputs = built.training.predict(x) as tf.Tensor | tf.Tensor[];
          for (const output of Array.isArray(outputs) ? outputs : [outputs]) {
            const spread = tf.tidy(() => {
              const [first, second] = tf.unstack(output);
              return first.sub(second).abs().max().div(output.abs().max()).dataSync()[0];
            });
            assert.ok(spread > 0.05, `${name}: the two images give nearly the same outputs (${spread}), the comparison would prove little`);
          }
          const weights = [];
          const chunks: Buffer[] = [];
          let offset = 0;
          for (const weight of built.training.weights) {
            const data = weight.read().dataSync() as Float32Array;
            weights.push({ name: weight.originalName, shape: weight.shape, offset });
            chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
            offset += data.length;
          }
          writeFileSync(join(dir, `${name}.bin`), Buffer.concat(chunks));
          const xData = x.dataSync() as Float32Array;
          writeFileSync(join(dir, `${name}.input`), Buffer.from(xData.buffer, xData.byteOffset, xData.byteLength));
          cases.push({
            name,
            file: `${name}.bin`,
            input: `${name}.input`,
            inputShape: x.shape,
            classes: options.classes,
            auxLogits: built.auxOutputs > 0,
            weights,
            outputs: (Array.isArray(outputs) ? outputs : [outputs]).map((o) => Array.from(o.dataSync())),
          });
          tf.dispose([x, outputs]);
        } finally {
          disposeBuiltModel(built);
        }
      }
      writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
      const python = spawnSync(PYTHON, ['-c', COMPARE, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
      assert.equal(python.status, 0, python.stderr);
      const differences = JSON.parse(python.stdout) as Record<string, number[]>;
      assert.deepEqual(Object.keys(differences).sort(), CASES.map(([name]) => name).sort());
      assert.equal(differences.googlenet.length, 3, 'GoogLeNet: main and two auxiliary heads');
      for (const [name, perOutput] of Object.entries(differences)) {
        for (const difference of perOutput) assert.ok(difference < TOLERANCE, `${name}: outputs differ by ${difference} (relative)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
