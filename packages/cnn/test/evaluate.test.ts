import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { initEngine } from '../src/engine/index.js';
import { evaluateModel, mainOutputModel } from '../src/evaluate/evaluate.js';
import { perClassMetrics } from '../src/evaluate/metrics.js';
import type { Batch, Split } from '../src/types.js';

const CLASSES = 6;
const names = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal'];

before(async () => {
  await initEngine();
});

/** A model whose logits are its input pixels (identity dense layer), so expected results are computable by hand. */
function identityModel(): tf.LayersModel {
  const input = tf.input({ shape: [1, 1, CLASSES] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: CLASSES, useBias: false, kernelInitializer: 'identity' });
  return tf.model({ inputs: input, outputs: dense.apply(flat) as tf.SymbolicTensor });
}

function logitsSplit(count: number): { split: Split; logits: number[][]; labels: number[] } {
  const random = seedrandom.alea('evaluate');
  const logits = Array.from({ length: count }, () => Array.from({ length: CLASSES }, () => random()));
  const labels = Array.from({ length: count }, (_, i) => (i * 5 + Math.floor(random() * 2)) % CLASSES);
  const split: Split = {
    size: count,
    read(indices: ArrayLike<number>): Batch {
      const x = new Float32Array(indices.length * CLASSES);
      const y = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        x.set(logits[indices[k]], k * CLASSES);
        y[k] = labels[indices[k]];
      }
      return { x, y, size: indices.length };
    },
    labels: () => Int32Array.from(labels),
  };
  return { split, logits, labels };
}

/** The textbook definitions, one example at a time. */
function reference(logits: number[][], labels: number[]) {
  let loss = 0;
  let top1 = 0;
  let top5 = 0;
  const confusion = names.map(() => new Array<number>(CLASSES).fill(0));
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    loss += logSumExp - row[labels[i]];
    const ranked = row
      .map((v, c) => [v, c])
      .sort((a, b) => b[0] - a[0])
      .map(([, c]) => c);
    confusion[labels[i]][ranked[0]] += 1;
    if (ranked[0] === labels[i]) top1 += 1;
    if (ranked.slice(0, 5).includes(labels[i])) top5 += 1;
  });
  return { loss: loss / logits.length, top1: top1 / logits.length, top5: top5 / logits.length, confusion };
}

describe('evaluateModel', () => {
  test('loss, top-1, top-5 and the confusion matrix match the definitions, whatever the batch size', async () => {
    const model = identityModel();
    const { split, logits, labels } = logitsSplit(53);
    const expected = reference(logits, labels);
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 7, 64]) {
      const result = await evaluateModel(model, split, { classNames: names, batchSize });
      assert.ok(Math.abs(result.loss - expected.loss) < 1e-5, `loss ${result.loss} vs ${expected.loss}`);
      assert.equal(result.top1, expected.top1);
      assert.equal(result.top5, expected.top5);
      assert.ok(result.top5 < 1 && result.top5 > result.top1);
      assert.deepEqual(result.confusionMatrix, expected.confusion);
      assert.equal(result.examples, 53);
      assert.deepEqual(result.classNames, names);
      assert.deepEqual(
        result.perClass.map((c) => c.support),
        expected.confusion.map((row) => row.reduce((a, b) => a + b, 0)),
      );
    }
    assert.equal(tf.memory().numTensors, before, 'evaluation leaks no tensors');
    model.dispose();
  });

  test('evaluates only the requested indices', async () => {
    const model = identityModel();
    const { split, logits, labels } = logitsSplit(30);
    const indices = Int32Array.from([29, 3, 4, 10, 11]);
    const result = await evaluateModel(model, split, { classNames: names, batchSize: 2, indices });
    const expected = reference(
      [...indices].map((i) => logits[i]),
      [...indices].map((i) => labels[i]),
    );
    assert.equal(result.examples, 5);
    assert.deepEqual(result.confusionMatrix, expected.confusion);
    model.dispose();
  });

  test('a model with auxiliary heads is judged on its main output only', async () => {
    const input = tf.input({ shape: [1, 1, CLASSES] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const main = tf.layers.dense({ units: CLASSES, useBias: false, kernelInitializer: 'identity' }).apply(flat) as tf.SymbolicTensor;
    const aux = tf.layers.dense({ units: CLASSES, kernelInitializer: 'randomNormal' }).apply(flat) as tf.SymbolicTensor;
    const withAux = tf.model({ inputs: input, outputs: [main, aux] });
    const { split, logits, labels } = logitsSplit(20);
    const mainOnly = mainOutputModel(withAux);
    assert.equal(mainOnly.outputs.length, 1);
    const result = await evaluateModel(mainOnly, split, { classNames: names, batchSize: 8 });
    assert.deepEqual(result.confusionMatrix, reference(logits, labels).confusion);
    assert.equal(mainOutputModel(mainOnly), mainOnly);
    withAux.dispose();
  });

  test('a label outside the classes is a dataset error', async () => {
    const model = identityModel();
    const { split } = logitsSplit(4);
    const broken: Split = { ...split, read: (i) => ({ ...split.read(i), y: Int32Array.from([0, 9, 0, 0].slice(0, i.length)) }) };
    await assert.rejects(evaluateModel(model, broken, { classNames: names, batchSize: 4 }), /outside the 6 classes/);
    model.dispose();
  });
});

describe('perClassMetrics', () => {
  test('precision, recall and F1 by hand, with zero denominators reported as 0', () => {
    // rows: true class, columns: predicted
    const matrix = [
      [5, 1, 0],
      [2, 3, 0],
      [0, 0, 0],
    ];
    const [a, b, c] = perClassMetrics(matrix, ['a', 'b', 'c']);
    assert.deepEqual(a, { className: 'a', precision: 5 / 7, recall: 5 / 6, f1: (2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6), support: 6 });
    assert.deepEqual(b, { className: 'b', precision: 3 / 4, recall: 3 / 5, f1: (2 * (3 / 4) * (3 / 5)) / (3 / 4 + 3 / 5), support: 5 });
    assert.deepEqual(c, { className: 'c', precision: 0, recall: 0, f1: 0, support: 0 });
  });
});
