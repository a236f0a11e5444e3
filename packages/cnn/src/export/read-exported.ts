import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { ExportedFile, ModelManifest } from '../types.js';
import { MANIFEST_JSON, MODEL_JSON } from './export-model.js';

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** The parts of an exported model: its topology, weight specs and concatenated weight bytes. */
export function readExportedArtifacts(files: ExportedFile[]): tf.io.ModelArtifacts {
  const byPath = new Map(files.map((f) => [f.path, f.bytes]));
  const modelJson = parseJson<ModelJson>(byPath, MODEL_JSON);
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new CnnError('invalid_option', `The exported model's ${MODEL_JSON} lacks modelTopology or weightsManifest.`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const bytes = byPath.get(path);
      if (!bytes) throw new CnnError('invalid_option', `The exported model lacks its weight file ${path}.`);
      buffers.push(bytes.slice().buffer);
    }
  }
  return { modelTopology: modelJson.modelTopology, weightSpecs, weightData: tf.io.CompositeArrayBuffer.join(buffers) };
}

/** Every weight of an exported model by its name (e.g. "conv1/kernel"); the caller disposes them. */
export function readExportedWeights(files: ExportedFile[]): tf.NamedTensorMap {
  const artifacts = readExportedArtifacts(files);
  try {
    return tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  } catch (error) {
    throw new CnnError('invalid_option', `The exported model's weights do not match its manifest: ${(error as Error).message}`);
  }
}

/** The exported model as a tf.LayersModel (the same route tf.loadLayersModel takes from files). */
export async function loadExportedModel(files: ExportedFile[]): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(readExportedArtifacts(files)));
}

export function readManifest(files: ExportedFile[]): ModelManifest {
  return parseJson<ModelManifest>(new Map(files.map((f) => [f.path, f.bytes])), MANIFEST_JSON);
}

function parseJson<T>(byPath: Map<string, Uint8Array>, path: string): T {
  const bytes = byPath.get(path);
  if (!bytes) throw new CnnError('invalid_option', `The exported model has no ${path}.`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new CnnError('invalid_option', `The exported model's ${path} is not valid JSON.`);
  }
}
