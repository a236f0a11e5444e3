/**
 * Loads the native addon that scripts/build-addon.mjs built at install time, or says why it cannot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions native/addon.cc exports; every array is written or read in place. */
export interface OnednnAddon {
  info(): { onednnVersion: string; threads: number; cachedPrimitives: number; scratchBytes: number };
  clearCaches(): void;
  setThreads(threads: number): void;
  conv2dForward(params: Int32Array, x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  conv2dBackwardData(params: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array, y: Float32Array | null): void;
  conv2dBackwardWeights(params: Int32Array, x: Float32Array, dy: Float32Array, dFilter: Float32Array, y: Float32Array | null): void;
  convPoolForward(
    convParams: Int32Array,
    poolParams: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    pooled: Float32Array,
    indices: Uint8Array | null,
  ): void;
  convPoolBackward(
    convParams: Int32Array,
    poolParams: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    dPooled: Float32Array,
    pooled: Float32Array,
    indices: Uint8Array,
    dFilter: Float32Array | null,
    dBias: Float32Array | null,
    dx: Float32Array | null,
    reuse: number,
  ): void;
  poolWorkspaceBytes(params: Int32Array): number;
  poolForward(params: Int32Array, x: Float32Array, y: Float32Array, workspace: Uint8Array | null): void;
  poolBackward(params: Int32Array, dy: Float32Array, dx: Float32Array, workspace: Uint8Array | null, x: Float32Array | null): void;
  batchNormInference(
    params: Int32Array,
    epsilon: number,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    shift: Float32Array | null,
    y: Float32Array,
  ): void;
  batchNormTraining(
    params: Int32Array,
    epsilon: number,
    x: Float32Array,
    scale: Float32Array | null,
    shift: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
  ): void;
  batchNormBackward(
    params: Int32Array,
    epsilon: number,
    x: Float32Array,
    dy: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    dx: Float32Array,
    dScale: Float32Array,
    dShift: Float32Array,
  ): void;
  matMul(params: Int32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array): void;
  denseBackward(
    params: Int32Array,
    a: Float32Array,
    b: Float32Array,
    dy: Float32Array,
    y: Float32Array | null,
    dA: Float32Array | null,
    dB: Float32Array | null,
    dBias: Float32Array | null,
  ): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, description: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  columnSums(x: Float32Array, columns: number, out: Float32Array, reluOutput: Float32Array | null): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number): void;
  concat(parts: Float32Array[], innerSizes: Int32Array, outer: number, out: Float32Array): void;
  split(x: Float32Array, innerSizes: Int32Array, outer: number, parts: Float32Array[]): void;
  slice(x: Float32Array, out: Float32Array, description: Int32Array): void;
  pad(x: Float32Array, out: Float32Array, description: Int32Array, value: number): void;
  transpose(x: Float32Array, out: Float32Array, description: Int32Array): void;
  adamUpdate(
    values: Float32Array[],
    gradients: Float32Array[],
    firstMoments: Float32Array[],
    secondMoments: Float32Array[],
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    accBeta1: number,
    accBeta2: number,
  ): void;
  momentumUpdate(
    values: Float32Array[],
    gradients: Float32Array[],
    accumulations: Float32Array[],
    learningRate: number,
    momentum: number,
    nesterov: number,
  ): void;
  softmaxCrossEntropy(labels: Float32Array, logits: Float32Array, classes: number, smoothing: number, loss: Float32Array): void;
  softmaxCrossEntropyBackward(
    labels: Float32Array,
    logits: Float32Array,
    classes: number,
    smoothing: number,
    dLoss: number,
    dLogits: Float32Array | null,
    dLabels: Float32Array | null,
  ): void;
}

export type AddonStatus = { available: true; addon: OnednnAddon } | { available: false; reason: string };

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where node-gyp puts the addon, and where the build script explains a build it skipped. */
const ADDON_PATH = join(packageRoot, 'build', 'Release', 'trainyard_onednn.node');
const UNAVAILABLE_NOTE = join(packageRoot, 'build', 'unavailable.txt');

let status: AddonStatus | null = null;

export function loadAddon(): AddonStatus {
  if (status !== null) return status;
  if (!existsSync(ADDON_PATH)) {
    const note = existsSync(UNAVAILABLE_NOTE) ? readFileSync(UNAVAILABLE_NOTE, 'utf8').trim() : '';
    status = {
      available: false,
      reason: note || 'the native addon was not built (run `node scripts/build-addon.mjs` in packages/engine-onednn)',
    };
    return status;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as OnednnAddon;
    addon.info();
    status = { available: true, addon };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    status = { available: false, reason: `the native addon does not load: ${message.split('\n')[0]}` };
  }
  return status;
}
