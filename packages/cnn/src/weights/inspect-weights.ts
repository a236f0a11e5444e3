/**
 * What the API answers about an uploaded weights file, without tfjs: its format, how many classes its
 * classifier has, whether it holds auxiliary heads, and its size, once every tensor has been checked
 * against the architecture (weights_mismatch otherwise).
 */
import { compareStateDict } from './compare-state-dict.js';
import { readStateDict } from './read-state-dict.js';
import { numel, type StateDict, type WeightsFormat } from './state-dict.js';
import { checkPretrainedOptions, torchvisionStateDict, type ExpectedTensor } from './torchvision-state-dict.js';
import { mismatch } from './weights-errors.js';

export interface WeightsInspection {
  format: WeightsFormat;
  architecture: string;
  /** Outputs of the file's classifier (1000 for ImageNet weights). */
  classes: number;
  /** GoogLeNet and Inception v3: the file has the auxiliary heads. */
  auxLogits: boolean;
  /** Tensors in the file. */
  tensors: number;
  /** Trainable parameters (weights and biases, not batch-norm statistics) the file gives the model. */
  parameters: number;
  /** Tensors of the file that the architecture does not use (auxiliary heads of a variant without them). */
  ignoredTensors: string[];
  /** A safetensors file's __metadata__; empty for torch files. */
  metadata: Record<string, string>;
}

/** The expected state_dict for the classes and auxiliary heads the file itself has. */
function expectedForFile(architecture: string, tensors: StateDict): ExpectedTensor[] {
  const withAux = torchvisionStateDict(architecture, { classes: 1, auxLogits: true });
  const auxLogits = withAux.some((t) => t.auxiliary && tensors.has(t.name));
  const main = withAux.find((t) => t.classifier && !t.auxiliary && t.role === 'weight')!;
  const classes = tensors.get(main.name)?.shape[0] ?? 1000;
  return torchvisionStateDict(architecture, { classes, auxLogits });
}

/** Checks a state_dict against an architecture; throws weights_mismatch listing every tensor that does not fit. */
export function inspectStateDict(format: WeightsFormat, tensors: StateDict, architecture: string): Omit<WeightsInspection, 'metadata'> {
  checkPretrainedOptions(architecture);
  const expected = expectedForFile(architecture, tensors);
  const comparison = compareStateDict(expected, tensors, { skipClassifier: false });
  if (comparison.mismatches.length > 0) throw mismatch(architecture, comparison.mismatches);
  const classifier = expected.find((t) => t.classifier && !t.auxiliary && t.role === 'weight')!;
  return {
    format,
    architecture,
    classes: classifier.shape[0],
    auxLogits: expected.some((t) => t.auxiliary),
    tensors: tensors.size,
    parameters: expected.filter((t) => t.role === 'weight' || t.role === 'bias').reduce((sum, t) => sum + numel(t.shape), 0),
    ignoredTensors: comparison.ignored,
  };
}

/**
 * Reads and checks a weights file for `architecture`. Throws CnnError: weights_malformed,
 * weights_unsafe, weights_mismatch (details.tensors), invalid_option (an architecture without
 * torchvision weights), unknown_architecture.
 */
export function inspectWeights(bytes: Uint8Array, architecture: string): WeightsInspection {
  checkPretrainedOptions(architecture);
  const { format, tensors, metadata } = readStateDict(bytes);
  return { ...inspectStateDict(format, tensors, architecture), metadata };
}
