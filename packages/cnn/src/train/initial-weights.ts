/**
 * Fine-tuning: start a new model from the weights of an exported one, matched by weight name
 * ("features.0/kernel"). When the class count differs, the classifier head keeps its fresh
 * initialisation; every other weight must fit exactly, or the models are not the same architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import { readExportedWeights, readManifest } from '../export/read-exported.js';
import { NORMALIZATION_LAYER } from '../models/normalization.js';
import type { ExportedFile } from '../types.js';

export interface InitialWeightsReport {
  /** Weights taken from the exported model. */
  copied: string[];
  /** Weights left as initialised: the new head, auxiliary heads, the run's own normalisation. */
  fresh: string[];
}

/**
 * @param model the training model of the new run (main logits first)
 * @param architecture the new run's architecture, which the exported model must share
 */
export function applyInitialWeights(model: tf.LayersModel, files: ExportedFile[], architecture: string): InitialWeightsReport {
  const manifest = readManifest(files);
  if (manifest.architecture !== architecture) {
    throw new CnnError('invalid_option', `The initial model is a ${manifest.architecture}, this run trains a ${architecture}.`, {
      field: 'initialModel',
    });
  }
  const classes = (model.outputs[0].shape as number[]).at(-1);
  const headLayer = model.outputLayers[0].name;
  const saved = readExportedWeights(files);
  const report: InitialWeightsReport = { copied: [], fresh: [] };
  try {
    const updates: Array<[tf.LayerVariable, tf.Tensor]> = [];
    // The normalisation layer's weights belong to the new run's training data, not the old one's.
    for (const weight of model.weights) {
      const name = weight.originalName;
      const value = saved[name];
      if (!value || name.startsWith(`${NORMALIZATION_LAYER}/`)) {
        report.fresh.push(name);
        continue;
      }
      if (tf.util.arraysEqual(value.shape, weight.shape as number[])) {
        updates.push([weight, value]);
        report.copied.push(name);
      } else if (manifest.classes !== classes && name.startsWith(`${headLayer}/`)) {
        report.fresh.push(name);
      } else {
        throw new CnnError(
          'invalid_option',
          `The initial model's weight ${name} has shape [${value.shape}], this model needs [${weight.shape}] (different input shape or options?).`,
          { field: 'initialModel' },
        );
      }
    }
    if (updates.length === 0)
      throw new CnnError('invalid_option', 'No weight of the initial model matches this model.', { field: 'initialModel' });
    for (const [weight, value] of updates) weight.write(value);
  } finally {
    tf.dispose(Object.values(saved));
  }
  return report;
}
