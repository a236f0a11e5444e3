/**
 * Export in the TensorFlow.js layers format, the one `tf.loadLayersModel` reads in Node and in browsers:
 * model.json (topology + weights manifest) and binary weight shards, plus our manifest.json.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExportedFile, ModelManifest } from '../types.js';

/** The tfjs converter's shard size: small enough for browser caches, few enough requests. */
const SHARD_BYTES = 4 * 1024 * 1024;

export const MODEL_JSON = 'model.json';
export const MANIFEST_JSON = 'manifest.json';

/**
 * `model` must be the inference model (built-in layer classes only, pixels in [0, 1], softmax output).
 * Returns model.json, group1-shard{i}of{n}.bin and manifest.json.
 */
export async function exportModel(model: tf.LayersModel, manifest: ModelManifest): Promise<ExportedFile[]> {
  let files: ExportedFile[] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0));
      const shardCount = Math.max(1, Math.ceil(weights.length / SHARD_BYTES));
      const shards: ExportedFile[] = [];
      for (let i = 0; i < shardCount; i++) {
        shards.push({
          path: `group1-shard${i + 1}of${shardCount}.bin`,
          bytes: weights.slice(i * SHARD_BYTES, (i + 1) * SHARD_BYTES),
        });
      }
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: shards.map((s) => s.path), weights: artifacts.weightSpecs ?? [] }],
      };
      files = [{ path: MODEL_JSON, bytes: jsonBytes(modelJson) }, ...shards];
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
    { includeOptimizer: false },
  );
  return [...files, { path: MANIFEST_JSON, bytes: jsonBytes(manifest) }];
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 1) + '\n');
}
