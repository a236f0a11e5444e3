/**
 * Real model files for API tests that need one without training: a weights file in torchvision's
 * layout (zeros, written as safetensors) and a real checkpoint of a freshly built model.
 */
import { buildModel, disposeBuiltModel, encodeCheckpoint, initEngine, readModelWeights, resolveTrainConfig } from '@trainyard/cnn';
import { torchvisionStateDict, writeSafetensors } from '@trainyard/cnn/weights';

/** A state_dict of `architecture` in torchvision's names and shapes, every value 0. */
export function zeroWeights(architecture: string, classes: number): Uint8Array {
  return writeSafetensors(
    torchvisionStateDict(architecture, { classes, auxLogits: false }).map((tensor) => ({
      name: tensor.name,
      shape: tensor.shape,
      data: tensor.role === 'num_batches_tracked' ? new BigInt64Array(1) : new Float32Array(tensor.shape.reduce((a, b) => a * b, 1)),
    })),
  );
}

/** The checkpoint after `epoch` epochs of an untrained LeNet-5 on 28x28x1 images with 10 classes (the synthetic set). */
export async function lenetCheckpoint(epoch: number): Promise<Uint8Array> {
  await initEngine();
  const built = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10 });
  try {
    return encodeCheckpoint({
      architecture: 'lenet5',
      inputShape: [28, 28, 1],
      classes: 10,
      config: resolveTrainConfig({}),
      normalization: null,
      epoch,
      stepInEpoch: 0,
      globalStep: 0,
      history: [],
      random: { c: 1, s0: 0.5, s1: 0.25, s2: 0.125 },
      globalRandom: null,
      epochOrder: null,
      partialEpoch: null,
      weights: await readModelWeights(built.training),
      optimizer: { arrays: [], adamBetaPowers: null },
    });
  } finally {
    disposeBuiltModel(built);
  }
}
