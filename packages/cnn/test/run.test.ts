import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';
import { readExportedWeights } from '../src/export/read-exported.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { applyInitialWeights } from '../src/train/initial-weights.js';
import { runTraining } from '../src/train/run.js';
import type { Dataset, EpochMetrics, InputShape, TrainingRunResult } from '../src/types.js';
import { MemoryCheckpointStore, quadrantSplit } from './train-fixtures.js';

const SHAPE: InputShape = [28, 28, 1];

function dataset(classes: number): Dataset {
  return {
    name: `quadrants-${classes}`,
    inputShape: SHAPE,
    classNames: Array.from({ length: classes }, (_, i) => `class-${i}`),
    train: quadrantSplit(192, SHAPE, classes, 11),
    test: quadrantSplit(48, SHAPE, classes, 12),
  };
}

const config = resolveTrainConfig({ epochs: 3, batchSize: 32, normalize: true, validationSplit: 0.25, schedule: 'cosine' });

function shardBytes(result: TrainingRunResult): Uint8Array[] {
  return result.model.filter((f) => f.path.endsWith('.bin')).map((f) => f.bytes);
}

before(async () => {
  await initEngine();
});

describe('runTraining', () => {
  let first: TrainingRunResult;

  test('data, LeNet-5, training, evaluation and export in order, leaving no tensor behind', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const phases: string[] = [];
    const epochs: EpochMetrics[] = [];
    first = await runTraining(
      { architecture: 'lenet5', dataset: dataset(4), config },
      { onPhase: (p) => void phases.push(p), onEpoch: (m) => void epochs.push(m) },
    );
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.deepEqual(phases, ['loading_data', 'training', 'evaluating', 'saving']);
    assert.deepEqual(first.history, epochs);
    assert.equal(first.history.length, 3);
    assert.notEqual(first.engine, 'cpu');
    assert.equal(first.stoppedEarly, false);
    assert.equal(first.evaluation.examples, 48);
    assert.equal(first.validationEvaluation?.examples, 48);
    assert.ok(first.evaluation.top1 > 0.5, `test accuracy ${first.evaluation.top1}`);
    assert.equal(first.manifest.architecture, 'lenet5');
    assert.deepEqual(first.manifest.inputShape, SHAPE);
    assert.equal(first.manifest.classes, 4);
    assert.equal(first.manifest.normalization?.mean.length, 1);
    assert.equal(first.manifest.metrics.top1, first.evaluation.top1);
    assert.ok(first.trainSeconds > 0);
    assert.deepEqual(
      first.model.map((f) => f.path),
      ['model.json', 'group1-shard1of1.bin', 'manifest.json'],
    );
  });

  test('same seed, same engine: the same exported weights (per-epoch test evaluation changes nothing)', async () => {
    const again = await runTraining({ architecture: 'lenet5', dataset: dataset(4), config, evaluateTestEachEpoch: true });
    assert.deepEqual(shardBytes(again), shardBytes(first));
    assert.deepEqual(
      again.history.map((m) => m.trainLoss),
      first.history.map((m) => m.trainLoss),
    );
    assert.ok(again.history.every((m) => typeof m.testAccuracy === 'number' && typeof m.testLoss === 'number'));
    assert.equal(again.history.at(-1)!.testAccuracy, again.evaluation.top1);
    assert.ok(first.history.every((m) => m.testAccuracy === undefined));
  });

  test('stopped after epoch 1 and started again with the same store, it resumes and exports the same model', async () => {
    const store = new MemoryCheckpointStore();
    const controller = new AbortController();
    await assert.rejects(
      runTraining(
        { architecture: 'lenet5', dataset: dataset(4), config },
        { checkpoints: store, signal: controller.signal, onEpoch: () => controller.abort() },
      ),
      (e: unknown) => isCnnError(e, 'aborted'),
    );
    assert.equal(store.written.length, 1);
    const phases: string[] = [];
    const resumedEpochs: number[] = [];
    const resumed = await runTraining(
      { architecture: 'lenet5', dataset: dataset(4), config },
      { checkpoints: store, onPhase: (p) => void phases.push(p), onEpoch: (m) => void resumedEpochs.push(m.epoch) },
    );
    assert.deepEqual(resumedEpochs, [2, 3]);
    assert.equal(resumed.history.length, 3);
    assert.deepEqual(shardBytes(resumed), shardBytes(first));
    assert.equal(resumed.evaluation.loss, first.evaluation.loss);
  });

  test('a corrupt checkpoint in the store is refused, not silently ignored', async () => {
    const store = new MemoryCheckpointStore();
    await store.write(new Uint8Array(100).fill(7), { epoch: 1, step: 0 });
    await assert.rejects(runTraining({ architecture: 'lenet5', dataset: dataset(4), config }, { checkpoints: store }), (e: unknown) =>
      isCnnError(e, 'checkpoint_invalid'),
    );
  });

  test('fine-tuning on another class count starts from the exported weights with a new head', async () => {
    const built = buildModel('lenet5', { inputShape: SHAPE, classes: 3, normalization: { mean: [0.1], std: [0.5] } });
    const report = applyInitialWeights(built.training, first.model, 'lenet5');
    const saved = readExportedWeights(first.model);
    const current = new Map(built.training.weights.map((w) => [w.originalName, w.read()]));
    const headLayer = built.training.outputLayers[0].name;
    assert.ok(report.copied.length >= 6, `copied ${report.copied}`);
    for (const name of report.copied) assert.deepEqual(current.get(name)!.dataSync(), saved[name].dataSync(), name);
    assert.deepEqual(
      report.fresh.sort(),
      [`${headLayer}/bias`, `${headLayer}/kernel`, 'normalization/bias', 'normalization/depthwise_kernel'].sort(),
    );
    // The run's own normalisation stays in place.
    assert.ok(Math.abs(current.get('normalization/bias')!.dataSync()[0] - -0.2) < 1e-6);
    tf.dispose(Object.values(saved));
    disposeBuiltModel(built);

    const tuned = await runTraining({
      architecture: 'lenet5',
      dataset: dataset(3),
      config: { ...config, epochs: 1 },
      initialModel: first.model,
    });
    assert.equal(tuned.manifest.classes, 3);
  });

  test('an initial model of another architecture is refused', async () => {
    const built = buildModel('lenet5', { inputShape: SHAPE, classes: 4 });
    const manifest = first.model.find((f) => f.path === 'manifest.json')!;
    const other = JSON.parse(new TextDecoder().decode(manifest.bytes));
    other.architecture = 'resnet20';
    const files = first.model.map((f) => (f === manifest ? { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(other)) } : f));
    assert.throws(
      () => applyInitialWeights(built.training, files, 'lenet5'),
      (e: unknown) => isCnnError(e, 'invalid_option') && /resnet20/.test(e.message),
    );
    disposeBuiltModel(built);
  });

  test('an aborted signal stops before training starts', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      runTraining({ architecture: 'lenet5', dataset: dataset(4), config }, { signal: controller.signal }),
      (e: unknown) => isCnnError(e, 'aborted'),
    );
  });
});
