/**
 * Run as a child process of the API (never imported by it): builds every architecture once with
 * TensorFlow.js at its native input and default classes, and prints, per architecture, its trainable
 * parameters and the number of activation values one example produces in training (the sum of every
 * layer's output size), as JSON on stdout. Kept out of the API process so that tfjs and the models'
 * memory never live there.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, countTrainableParameters, disposeBuiltModel, initEngine, listArchitectures } from '@trainyard/cnn';
import type { ArchitectureFacts } from './parameter-counts.js';

/**
 * Only shapes matter here, so every layer creates its weights as zeros instead of drawing them from
 * their initializers (tfjs's own setFastWeightInitDuringBuild, which the CNN package uses to count
 * parameters): the VGGs build in ~0.3 s instead of ~6 s each (measured on this machine).
 */
const apply = tf.layers.Layer.prototype.apply;
tf.layers.Layer.prototype.apply = function (this: tf.layers.Layer, ...args: Parameters<typeof apply>) {
  this.setFastWeightInitDuringBuild(true);
  return apply.apply(this, args);
};

function activationsPerExample(layers: Array<{ outputShape: unknown }>): number {
  let total = 0;
  for (const layer of layers) {
    const shapes = (Array.isArray((layer.outputShape as unknown[])[0]) ? layer.outputShape : [layer.outputShape]) as Array<Array<number | null>>;
    for (const shape of shapes) total += shape.slice(1).reduce<number>((product, dim) => product * (dim ?? 1), 1);
  }
  return total;
}

await initEngine();
const facts: Record<string, ArchitectureFacts | null> = {};
for (const info of listArchitectures()) {
  try {
    const model = buildModel(info.name, { inputShape: info.nativeInputShape, classes: info.defaultClasses });
    try {
      facts[info.name] = {
        parameters: countTrainableParameters(model.training),
        activationsPerExample: activationsPerExample(model.training.layers),
        inputShape: info.nativeInputShape,
      };
    } finally {
      disposeBuiltModel(model);
    }
  } catch {
    facts[info.name] = null;
  }
}
process.stdout.write(JSON.stringify(facts));
