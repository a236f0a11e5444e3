import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ashaContinues,
  ashaRungs,
  defaultGoal,
  planTrials,
  resolveSearcher,
  spaceProblems,
  trialSpec,
  type JobSpec,
  type SweepSpace,
} from '../src/index.js';

const base: JobSpec = { model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { batchSize: 64 } };

test('grid plans every combination of the choices, sorted paths, the last varying fastest', () => {
  const space: SweepSpace = {
    'model.architecture': { type: 'choice', values: ['lenet5', 'resnet20'] },
    'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] },
  };
  const searcher = resolveSearcher({ type: 'grid' });
  assert.deepEqual(spaceProblems(space, searcher), []);
  const plan = planTrials(space, searcher);
  assert.equal(plan.length, 6);
  assert.deepEqual(plan[0], { 'hyperparameters.optimizer': 'adam', 'model.architecture': 'lenet5' });
  assert.deepEqual(plan[1], { 'hyperparameters.optimizer': 'adam', 'model.architecture': 'resnet20' });
  assert.deepEqual(plan[5], { 'hyperparameters.optimizer': 'rmsprop', 'model.architecture': 'resnet20' });
  assert.equal(new Set(plan.map((trial) => JSON.stringify(trial))).size, 6);
});

test('grid refuses ranges; bad paths, bounds and oversized plans are reported', () => {
  const grid = resolveSearcher({ type: 'grid' });
  assert.match(
    spaceProblems({ 'hyperparameters.learningRate': { type: 'uniform', min: 0, max: 1 } }, grid).join(),
    /choice parameters only/,
  );
  const random = resolveSearcher({ type: 'random', trials: 3 });
  const problems = spaceProblems(
    {
      '__proto__.polluted': { type: 'choice', values: [1] },
      'hyperparameters.learningRate': { type: 'logUniform', min: 0, max: 1 },
      'hyperparameters.batchSize': { type: 'int', min: 64, max: 8 },
      hyperparameters: { type: 'choice', values: [1] },
    },
    random,
  );
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.deepEqual(spaceProblems({}, random), ['the space names no parameter']);
  const huge = Object.fromEntries(
    Array.from({ length: 4 }, (_, i) => [`hyperparameters.p${i}`, { type: 'choice', values: Array(10).fill(1) }]),
  );
  assert.match(spaceProblems(huge as SweepSpace, grid).join(), /plans 10000 trials/);
  const asha = resolveSearcher({ type: 'asha', trials: 2, maxEpochs: 9 });
  assert.match(spaceProblems({ 'hyperparameters.epochs': { type: 'int', min: 1, max: 3 } }, asha).join(), /leave epochs out/);
});

test('random is deterministic for a seed, stays in bounds, and another seed plans other trials', () => {
  const space: SweepSpace = {
    'hyperparameters.learningRate': { type: 'logUniform', min: 1e-4, max: 0.1 },
    'hyperparameters.momentum': { type: 'uniform', min: 0.5, max: 0.99 },
    'hyperparameters.batchSize': { type: 'int', min: 16, max: 64 },
    'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd'] },
  };
  const plan = planTrials(space, resolveSearcher({ type: 'random', trials: 200, seed: 7 }));
  assert.deepEqual(plan, planTrials(space, resolveSearcher({ type: 'random', trials: 200, seed: 7 })));
  assert.notDeepEqual(plan, planTrials(space, resolveSearcher({ type: 'random', trials: 200, seed: 8 })));
  for (const trial of plan) {
    const rate = trial['hyperparameters.learningRate'] as number;
    assert.ok(rate >= 1e-4 && rate <= 0.1, String(rate));
    const momentum = trial['hyperparameters.momentum'] as number;
    assert.ok(momentum >= 0.5 && momentum <= 0.99);
    const batch = trial['hyperparameters.batchSize'] as number;
    assert.ok(Number.isInteger(batch) && batch >= 16 && batch <= 64);
  }
  // Both ends of the int range and both choices come up; log-uniform puts about half below sqrt(min * max).
  const batches = new Set(plan.map((trial) => trial['hyperparameters.batchSize']));
  assert.ok(batches.has(16) && batches.has(64));
  assert.deepEqual(new Set(plan.map((trial) => trial['hyperparameters.optimizer'])), new Set(['adam', 'sgd']));
  const low = plan.filter((trial) => (trial['hyperparameters.learningRate'] as number) < Math.sqrt(1e-4 * 0.1)).length;
  assert.ok(low > 70 && low < 130, String(low));
});

test('trialSpec writes each dotted path into a copy of the base; ASHA sets epochs to maxEpochs', () => {
  const asha = resolveSearcher({ type: 'asha', trials: 9, seed: 1, maxEpochs: 9 });
  assert.deepEqual(asha, { type: 'asha', trials: 9, seed: 1, maxEpochs: 9, reductionFactor: 3, gracePeriod: 1 });
  const spec = trialSpec(base, { 'hyperparameters.learningRate': 0.01, 'model.options.dropout': 0.2 }, asha);
  assert.deepEqual(spec, {
    model: { architecture: 'lenet5', options: { dropout: 0.2 } },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { batchSize: 64, learningRate: 0.01, epochs: 9 },
  });
  assert.deepEqual(base.hyperparameters, { batchSize: 64 });
});

test('ASHA rungs are gracePeriod * reductionFactor^k below maxEpochs', () => {
  assert.deepEqual(ashaRungs(resolveSearcher({ type: 'asha', trials: 9, maxEpochs: 9 })), [1, 3]);
  assert.deepEqual(ashaRungs(resolveSearcher({ type: 'asha', trials: 9, maxEpochs: 10 })), [1, 3, 9]);
  assert.deepEqual(
    ashaRungs(resolveSearcher({ type: 'asha', trials: 9, maxEpochs: 20, reductionFactor: 2, gracePeriod: 2 })),
    [2, 4, 8, 16],
  );
  assert.deepEqual(ashaRungs(resolveSearcher({ type: 'random', trials: 9 })), []);
});

test('ASHA continues a trial only in the top 1/reductionFactor of the trials at the rung so far (at least the best one)', () => {
  // The first arrival is the best so far: it continues; so does a better second one; a worse one stops.
  assert.equal(ashaContinues(0.5, [], 'maximize', 3), true);
  assert.equal(ashaContinues(0.6, [0.5], 'maximize', 3), true);
  assert.equal(ashaContinues(0.4, [0.5], 'maximize', 3), false);
  // Three at the rung: top 1; six: top 2.
  assert.equal(ashaContinues(0.55, [0.5, 0.6], 'maximize', 3), false);
  assert.equal(ashaContinues(0.55, [0.5, 0.6, 0.1, 0.2, 0.3], 'maximize', 3), true);
  assert.equal(ashaContinues(0.45, [0.5, 0.6, 0.1, 0.2, 0.3], 'maximize', 3), false);
  // Minimised losses rank the other way; a tie ranks alike.
  assert.equal(ashaContinues(0.2, [0.5, 0.6], 'minimize', 3), true);
  assert.equal(ashaContinues(0.5, [0.5], 'maximize', 3), true);
  assert.equal(defaultGoal('validationLoss'), 'minimize');
  assert.equal(defaultGoal('validationAccuracy'), 'maximize');
});
