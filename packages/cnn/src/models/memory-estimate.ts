/**
 * How much memory training a catalog architecture needs, estimated without building it (no tfjs), so
 * that the API can refuse a job no worker can hold before it is queued. The spec decides it all: the
 * architecture and its size-changing options (smallInput, auxLogits), the input shape, the classes,
 * the batch size and the optimizer, plus the dataset the training process holds. In float32 values:
 *   weights, their gradients and the optimizer's slots   parameters x (2 + slots)
 *   activations kept for the backward pass and their gradients
 *                                                        2 x batch x activationsPerExample
 *   the input batch                                      batch x height x width x channels
 *   the dataset                                          examples x height x width x channels
 * Parameters and activations follow from each variant's recorded facts (architecture-facts.ts), which
 * say how they grow with the classes, the channels, the input's area and the final feature map.
 */
import type { InputShape, OptimizerName } from '../types.js';
import { architectureFacts } from './architecture-facts.js';
import { getArchitecture, getVariant } from './catalog-info.js';
import { spatialPlan } from './families/index.js';
import { pathOutputLength } from './spatial.js';

const BYTES_PER_VALUE = 4;

/** Values each optimizer keeps per weight: sgd its momentum, adam two moments, rmsprop its mean square and momentum. */
const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, number>> = { sgd: 1, adam: 2, rmsprop: 2 };

/** The model options that change a variant's size. */
export interface SizeOptionSet {
  smallInput?: boolean;
  auxLogits?: boolean;
}

/** The option sets of `name` that architecture-facts.ts records, by key. */
export function sizeOptionSets(name: string): Array<{ key: string; options: SizeOptionSet }> {
  const offered = getArchitecture(name).options;
  const sets: Array<{ key: string; options: SizeOptionSet }> = [{ key: 'default', options: {} }];
  if (offered.includes('smallInput')) sets.push({ key: 'smallInput', options: { smallInput: true } });
  if (offered.includes('auxLogits')) sets.push({ key: 'noAuxLogits', options: { auxLogits: false } });
  return sets;
}

function flagsOf(name: string, options: SizeOptionSet): { smallInput: boolean; auxLogits: boolean } {
  const offered = getArchitecture(name).options;
  return {
    smallInput: offered.includes('smallInput') && options.smallInput === true,
    auxLogits: offered.includes('auxLogits') && options.auxLogits !== false,
  };
}

function factsKey(name: string, options: SizeOptionSet): string {
  const flags = flagsOf(name, options);
  if (flags.smallInput) return 'smallInput';
  if (getArchitecture(name).options.includes('auxLogits') && !flags.auxLogits) return 'noAuxLogits';
  return 'default';
}

/** Cells (height x width) of the main path's final feature map for an input of height x width. */
export function finalCells(name: string, options: SizeOptionSet, height: number, width: number): number {
  const [main] = spatialPlan(getVariant(name).config, flagsOf(name, options));
  return pathOutputLength(main ?? [], height) * pathOutputLength(main ?? [], width);
}

export interface ModelSizeRequest {
  architecture: string;
  inputShape: InputShape;
  /** Default: the variant's own (1000 for the ImageNet ones). */
  classes?: number;
  options?: SizeOptionSet;
}

export interface ModelSize {
  parameters: number;
  activationsPerExample: number;
}

/** Trainable parameters and activations per example of the model a spec builds; throws unknown_architecture. */
export function estimateModelSize(request: ModelSizeRequest): ModelSize {
  const variant = getVariant(request.architecture);
  const options = request.options ?? {};
  const facts = architectureFacts(variant.name)[factsKey(variant.name, options)]!;
  const [height, width, channels] = request.inputShape;
  const classes = request.classes ?? variant.defaultClasses;
  const cells = facts.perFinalCell === 0 ? 0 : finalCells(variant.name, options, height, width);
  return {
    parameters: facts.parameters + facts.perClass * classes + facts.perInputChannel * channels + facts.perFinalCell * cells,
    activationsPerExample: Math.max(
      0,
      Math.round(facts.activations + facts.activationsPerPixel * height * width + facts.activationsPerClass * classes),
    ),
  };
}

export interface TrainingMemoryRequest extends ModelSizeRequest {
  batchSize: number;
  optimizer: OptimizerName;
  /** Examples of the dataset the training process holds (train and test splits); default 0. */
  datasetExamples?: number;
}

export interface TrainingMemoryEstimate extends ModelSize {
  /** What the dataset adds (datasetExamples at the input shape, as float32). */
  datasetBytes: number;
  /** Everything together. */
  bytes: number;
}

/** Estimated memory to train the spec; throws CnnError('unknown_architecture') for a name not in the catalog. */
export function estimateTrainingMemory(request: TrainingMemoryRequest): TrainingMemoryEstimate {
  const size = estimateModelSize(request);
  const [height, width, channels] = request.inputShape;
  const pixels = height * width * channels;
  const weights = size.parameters * (2 + OPTIMIZER_SLOTS[request.optimizer]);
  const activations = 2 * request.batchSize * size.activationsPerExample;
  const input = request.batchSize * pixels;
  const datasetBytes = (request.datasetExamples ?? 0) * pixels * BYTES_PER_VALUE;
  return { ...size, datasetBytes, bytes: Math.ceil((weights + activations + input) * BYTES_PER_VALUE) + datasetBytes };
}

/** estimateTrainingMemory's total. */
export function estimateTrainingBytes(request: TrainingMemoryRequest): number {
  return estimateTrainingMemory(request).bytes;
}
