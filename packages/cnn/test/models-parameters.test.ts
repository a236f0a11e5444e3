/**
 * Faithfulness of the model zoo, counted: every ImageNet-layout variant at its native input with 1000
 * classes has exactly torchvision 0.14's number of trainable parameters (auxiliary heads included),
 * and the CIFAR layouts have exactly the PyTorch reference script's.
 *
 * The torchvision numbers are in torchvision-counts.txt, produced on Debian's python3-torchvision
 * 0.14.1 by:
 *   /usr/bin/python3 packages/cnn/test/torchvision_counts.py > packages/cnn/test/torchvision-counts.txt
 *
 * Counting builds every variant with the production builder, weights created as zeros (no random
 * initialisation: the 130-million-weight VGGs would otherwise take seconds each), then frees it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  architectureParameterCount,
  buildModel,
  countTrainableParameters,
  disposeBuiltModel,
  getArchitecture,
  listArchitectures,
} from '../src/models/index.js';
import type { BuildOptions } from '../src/types.js';

before(async () => {
  // The cpu backend allocates zero weights lazily, so counting the VGGs costs no real memory.
  await tf.setBackend('cpu');
});

function torchvisionCounts(): Map<string, number> {
  const url = new URL('../../test/torchvision-counts.txt', import.meta.url);
  const lines = readFileSync(url, 'utf8').trim().split('\n');
  assert.match(lines[0], /^torchvision 0\.14\./, 'the reference numbers come from torchvision 0.14');
  return new Map(
    lines.slice(1).map((line) => {
      const [name, count] = line.trim().split(/\s+/);
      return [name, Number(count)];
    }),
  );
}

const REFERENCE = torchvisionCounts();

test('the torchvision reference covers every ImageNet-layout variant of the catalog', () => {
  const imagenet = listArchitectures()
    .filter((info) => info.nativeInputShape[0] >= 224)
    .map((info) => info.name);
  assert.deepEqual([...REFERENCE.keys()].sort(), imagenet.sort());
  assert.equal(imagenet.length, 20);
});

for (const [name, expected] of REFERENCE) {
  test(`${name}: ${expected} trainable parameters at its native input, as torchvision`, () => {
    const info = getArchitecture(name);
    // torchvision_counts.py builds GoogLeNet and Inception v3 with aux_logits=True, as here by default.
    const counted = architectureParameterCount(name, { inputShape: info.nativeInputShape, classes: 1000 });
    assert.equal(counted, expected);
  });
}

/**
 * From the PyTorch reference script (bench/torch_reference.py) for LeNet-5 and the CIFAR
 * ResNets, and from torchvision's own _DenseBlock and _Transition under a 3x3 stem for DenseNet-BC:
 *   cd bench && /usr/bin/python3 -c "import torch_reference as r; \
 *     print(sum(p.numel() for p in r.build_model('resnet56', 32, 3).parameters()))"
 * and, for DenseNet-BC (L, k), nn.Sequential(Conv2d(3, 2k, 3, padding=1, bias=False), then three
 * _DenseBlock((L-4)//6, f, 4, k, 0) with _Transition(f, f//2) between them, BatchNorm2d(f),
 * Linear(f, 10)).
 */
const REFERENCE_SCRIPT: Array<[string, [number, number, number], number]> = [
  ['lenet5', [28, 28, 1], 44_426],
  ['lenet5', [32, 32, 3], 62_006],
  ['resnet20', [32, 32, 3], 272_474],
  ['resnet32', [32, 32, 3], 466_906],
  ['resnet44', [32, 32, 3], 661_338],
  ['resnet56', [32, 32, 3], 855_770],
  ['resnet110', [32, 32, 3], 1_730_714],
  ['densenet_bc_40', [32, 32, 3], 176_122],
  ['densenet_bc_100', [32, 32, 3], 769_162],
];

for (const [name, inputShape, expected] of REFERENCE_SCRIPT) {
  test(`${name} at ${inputShape.join('x')} with 10 classes: ${expected} trainable parameters, as PyTorch`, () => {
    assert.equal(architectureParameterCount(name, { inputShape, classes: 10 }), expected);
  });
}

test('counting with zero weights counts the same model as a real build', () => {
  const cases: Array<[string, BuildOptions]> = [
    ['googlenet', { inputShape: [32, 32, 3], classes: 5 }],
    ['densenet_bc_40', { inputShape: [32, 32, 1], classes: 3, normalization: { mean: [0.5], std: [0.25] } }],
  ];
  for (const [name, options] of cases) {
    const built = buildModel(name, options);
    try {
      assert.equal(architectureParameterCount(name, options), countTrainableParameters(built.training));
    } finally {
      disposeBuiltModel(built);
    }
  }
});

test('the classifier follows the class count and the smallInput stem changes only the stem', () => {
  const at = (classes: number, smallInput = false) =>
    architectureParameterCount('resnet18', { inputShape: [224, 224, 3], classes, smallInput });
  // fc: 512 inputs, one weight row and one bias per class.
  assert.equal(at(1000) - at(10), 990 * 513);
  // conv1: 7x7x3x64 weights become 3x3x3x64.
  assert.equal(at(1000) - at(1000, true), (49 - 9) * 3 * 64);
});

test("AlexNet and VGG keep torchvision's 7x7 (6x6) classifier input at any size, unless smallInput", () => {
  const vgg = (side: number, smallInput?: boolean) =>
    architectureParameterCount('vgg16', { inputShape: [side, side, 3], classes: 1000, smallInput });
  assert.equal(vgg(32), REFERENCE.get('vgg16'));
  assert.equal(vgg(100), REFERENCE.get('vgg16'));
  // smallInput: the classifier reads the 1x1x512 map of a 32x32 input directly (512 instead of 25,088 inputs).
  assert.equal(vgg(224) - vgg(32, true), (25_088 - 512) * 4096);
  const alexnet = (side: number) => architectureParameterCount('alexnet', { inputShape: [side, side, 3], classes: 1000 });
  assert.equal(alexnet(63), REFERENCE.get('alexnet'));
  assert.equal(alexnet(300), REFERENCE.get('alexnet'));
});

test('no tensors are left behind by counting', () => {
  const before = tf.memory().numTensors;
  architectureParameterCount('densenet121', { inputShape: [224, 224, 3], classes: 1000 });
  assert.equal(tf.memory().numTensors, before);
});
