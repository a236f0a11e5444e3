/**
 * Any retained checkpoint as a model (GET /v1/jobs/{id}/checkpoints/{epoch}/model): the checkpoint's
 * weights in a freshly built model of its architecture, exported like a finished run's model, as the
 * tfjs .tar.gz or as a torchvision state_dict in safetensors.
 */
import { decodeCheckpoint } from '../checkpoint/format.js';
import { writeModelWeights } from '../checkpoint/model-weights.js';
import { buildModel, disposeBuiltModel } from '../models/build.js';
import type { BuildOptions, ModelManifest } from '../types.js';
import { exportModel } from './export-model.js';
import { modelBundleBytes } from './model-bundle.js';
import { trainedSafetensors } from './trained-safetensors.js';

export type ModelExportFormat = 'tfjs' | 'safetensors';

export interface CheckpointExportOptions {
  format: ModelExportFormat;
  /** The job's model options (dropout, auxLogits, smallInput): they decide which layers exist. */
  modelOptions?: Omit<BuildOptions, 'inputShape' | 'classes' | 'normalization'>;
  /** The dataset's class names (a checkpoint only records how many there are). */
  classNames: string[];
  /** Recorded in the tfjs manifest. */
  engine: string;
}

/** The exported file: a .tar.gz of model.json, shards and manifest.json, or a .safetensors file. */
export async function exportCheckpoint(bytes: Uint8Array, options: CheckpointExportOptions): Promise<Uint8Array> {
  const checkpoint = decodeCheckpoint(bytes);
  const { architecture, inputShape, normalization } = checkpoint;
  const classNames =
    options.classNames.length === checkpoint.classes
      ? options.classNames
      : Array.from({ length: checkpoint.classes }, (_, c) => `class_${c}`);
  const built = buildModel(architecture, {
    ...options.modelOptions,
    inputShape,
    classes: checkpoint.classes,
    ...(normalization ? { normalization } : {}),
  });
  try {
    writeModelWeights(built.training, checkpoint.weights);
    if (options.format === 'safetensors') return trainedSafetensors(built, { inputShape, classNames });
    const last = checkpoint.history.at(-1);
    const manifest: ModelManifest = {
      format: 'trainyard-model/1',
      architecture,
      inputShape,
      classes: checkpoint.classes,
      classNames,
      normalization,
      engine: options.engine,
      metrics: {
        epochsTrained: checkpoint.epoch,
        checkpointStep: checkpoint.stepInEpoch,
        lastEpoch: last ?? null,
        config: checkpoint.config,
      },
      createdAt: new Date().toISOString(),
    };
    return modelBundleBytes(await exportModel(built.inference, manifest), new Date(manifest.createdAt));
  } finally {
    disposeBuiltModel(built);
  }
}
