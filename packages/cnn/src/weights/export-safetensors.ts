/**
 * Writes a model's weights as a torchvision state_dict in safetensors: torchvision's names, order and
 * layouts, batch-norm running statistics and num_batches_tracked, so that
 * `torchvision.models.<arch>(num_classes=K, ...).load_state_dict(state, strict=True)` takes it.
 * The normalisation baked into our model has no torchvision counterpart: it goes in __metadata__
 * (with whatever the caller adds: input size, class names), and the torchvision model expects inputs
 * normalised by it.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import { NORMALIZATION_LAYER } from '../models/normalization.js';
import type { BuiltModel } from '../types.js';
import { batchNormLayers, modelTensors } from './model-tensors.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';
import { checkPretrainedOptions, torchvisionStateDict } from './torchvision-state-dict.js';

export interface ExportSafetensorsOptions {
  architecture: string;
  /** Extra __metadata__ entries (strings, as the format requires): class names, input size, ... */
  metadata?: Record<string, string>;
  /** num_batches_tracked for every batch-norm layer (PyTorch only reads it when momentum is None). */
  batchesTracked?: number;
}

/** mean and std of the model's normalisation layer, or null without one. */
export function bakedNormalization(model: tf.LayersModel): { mean: number[]; std: number[] } | null {
  const layer = model.layers.find((candidate) => candidate.name === NORMALIZATION_LAYER);
  if (layer === undefined) return null;
  const [scale, shift] = layer.getWeights().map((w) => Array.from(w.dataSync()));
  const std = scale.map((s) => 1 / s);
  return { mean: shift.map((b, c) => -b * std[c]), std };
}

/**
 * The model's weights as torchvision's state_dict in safetensors. Throws CnnError('invalid_option')
 * for a model torchvision has no counterpart of (CIFAR layouts, LeNet-5, smallInput).
 */
export function exportSafetensors(model: BuiltModel | tf.LayersModel, options: ExportSafetensorsOptions): Uint8Array {
  const training = model instanceof tf.LayersModel ? model : model.training;
  checkPretrainedOptions(options.architecture, model instanceof tf.LayersModel ? {} : model.options);
  const tensors = new Map(modelTensors(training).map((t) => [t.name, t]));
  const classesDim = training.outputs[0].shape[training.outputs[0].shape.length - 1] as number;
  const order = torchvisionStateDict(options.architecture, { classes: classesDim, auxLogits: training.outputs.length > 1 });
  const batchNorms = new Set(batchNormLayers(training));
  const out: TensorToWrite[] = [];
  for (const want of order) {
    if (want.role === 'num_batches_tracked') {
      if (!batchNorms.has(want.module))
        throw new CnnError('invalid_option', `${want.module} is not a batch-norm layer of the model, so it has no torchvision state_dict`, {
          architecture: options.architecture,
          option: 'format',
        });
      out.push({ name: want.name, shape: [], data: BigInt64Array.of(BigInt(options.batchesTracked ?? 0)) });
      continue;
    }
    const tensor = tensors.get(want.name);
    if (tensor === undefined || tensor.torchShape.join() !== want.shape.join()) {
      throw new CnnError(
        'invalid_option',
        `the model is not ${options.architecture} as torchvision defines it (${want.name} [${want.shape}] is ${tensor ? `[${tensor.torchShape}]` : 'missing'}), so it has no torchvision state_dict`,
        {
          architecture: options.architecture,
          option: 'format',
        },
      );
    }
    const data = tf.tidy(() => tensor.toTorch(tensor.variable.read())).dataSync() as Float32Array;
    out.push({ name: want.name, shape: want.shape, data });
  }
  const normalization = bakedNormalization(training);
  const metadata: Record<string, string> = {
    format: 'pt',
    architecture: options.architecture,
    classes: String(classesDim),
    ...(normalization === null ? {} : { normalization: JSON.stringify(normalization) }),
    ...options.metadata,
  };
  return writeSafetensors(out, metadata);
}
