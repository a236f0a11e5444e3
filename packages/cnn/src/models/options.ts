/**
 * Checks BuildOptions up front, before any layer exists, and fills in each family's defaults (the
 * torchvision ones). No tfjs here: the API validates job specs with it.
 */
import { CnnError } from '../errors.js';
import type { BuildOptions, InputShape, Normalization } from '../types.js';
import { descriptorOf, type FamilyConfig, type ModelOption, type Variant } from './families/index.js';

export type { ModelOption };

/** Every option with a value, defaults filled in; what the builders read. */
export interface ResolvedOptions {
  inputShape: InputShape;
  classes: number;
  /** 0 for families without dropout. */
  dropout: number;
  /** false for families without auxiliary classifiers. */
  auxLogits: boolean;
  /** false for families without a small-input adaptation. */
  smallInput: boolean;
  normalization: Normalization | null;
}

/** The options a variant understands besides inputShape and classes. */
export function modelOptionsOf(config: FamilyConfig): ModelOption[] {
  return descriptorOf(config).options(config);
}

function defaultDropout(config: FamilyConfig): number {
  return descriptorOf(config).defaultDropout;
}

const KNOWN_KEYS = new Set(['inputShape', 'classes', 'dropout', 'auxLogits', 'smallInput', 'normalization']);
/** What an option means when a variant does not have it: asking for exactly that is harmless. */
const NEUTRAL: Record<ModelOption, number | boolean> = { dropout: 0, auxLogits: false, smallInput: false };

function invalid(message: string, details: Record<string, unknown>): CnnError {
  return new CnnError('invalid_option', message, details);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Validates the form of an input shape (three positive integers), not whether it is big enough. */
export function checkInputShapeForm(name: string, inputShape: unknown): asserts inputShape is InputShape {
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every(isPositiveInteger)) {
    throw invalid(`${name}: inputShape must be [height, width, channels], three positive integers; got ${JSON.stringify(inputShape)}`, {
      architecture: name,
      option: 'inputShape',
    });
  }
}

function checkNormalization(name: string, value: unknown, channels: number): Normalization {
  const fail = (why: string) => invalid(`${name}: normalization ${why}`, { architecture: name, option: 'normalization' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('must be { mean, std }');
  const extra = Object.keys(value).filter((key) => key !== 'mean' && key !== 'std');
  if (extra.length > 0) throw fail(`has unknown keys: ${extra.join(', ')}`);
  const { mean, std } = value as Record<string, unknown>;
  const isFiniteArray = (a: unknown): a is number[] =>
    Array.isArray(a) && a.length === channels && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!isFiniteArray(mean)) throw fail(`mean must hold ${channels} finite numbers (one per channel)`);
  if (!isFiniteArray(std) || !std.every((v) => v > 0)) {
    throw fail(`std must hold ${channels} finite numbers greater than 0 (one per channel)`);
  }
  return { mean: [...mean], std: [...std] };
}

/**
 * Checks every option's type and range for `variant` and fills in defaults. Throws
 * CnnError('invalid_option'). Does not check that the input is large enough (see checkInputShape).
 */
export function resolveBuildOptions(variant: Variant, options: BuildOptions): ResolvedOptions {
  const name = variant.name;
  if (typeof options !== 'object' || options === null) {
    throw invalid(`${name}: build options must be an object`, { architecture: name });
  }
  const unknown = Object.keys(options).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) {
    throw invalid(`${name}: unknown build option(s): ${unknown.join(', ')}`, { architecture: name, options: unknown });
  }
  checkInputShapeForm(name, options.inputShape);
  if (!isPositiveInteger(options.classes) || options.classes < 2) {
    throw invalid(`${name}: classes must be an integer of at least 2; got ${JSON.stringify(options.classes)}`, {
      architecture: name,
      option: 'classes',
    });
  }

  const offered = modelOptionsOf(variant.config);
  for (const option of ['dropout', 'auxLogits', 'smallInput'] as const) {
    const value = options[option];
    if (value === undefined || offered.includes(option) || value === NEUTRAL[option]) continue;
    const has = offered.length > 0 ? `it understands: ${offered.join(', ')}` : 'it has no model options';
    throw invalid(`${name} has no '${option}' option (${has})`, { architecture: name, option });
  }
  const dropout = options.dropout ?? (offered.includes('dropout') ? defaultDropout(variant.config) : 0);
  if (typeof dropout !== 'number' || !Number.isFinite(dropout) || dropout < 0 || dropout >= 1) {
    throw invalid(`${name}: dropout must be a number in [0, 1); got ${JSON.stringify(options.dropout)}`, {
      architecture: name,
      option: 'dropout',
    });
  }
  for (const option of ['auxLogits', 'smallInput'] as const) {
    if (options[option] !== undefined && typeof options[option] !== 'boolean') {
      throw invalid(`${name}: ${option} must be true or false; got ${JSON.stringify(options[option])}`, {
        architecture: name,
        option,
      });
    }
  }
  const inputShape: InputShape = [options.inputShape[0], options.inputShape[1], options.inputShape[2]];
  return {
    inputShape,
    classes: options.classes,
    dropout,
    // torchvision builds the auxiliary classifiers unless told not to.
    auxLogits: offered.includes('auxLogits') ? (options.auxLogits ?? true) : false,
    smallInput: offered.includes('smallInput') ? (options.smallInput ?? false) : false,
    normalization: options.normalization == null ? null : checkNormalization(name, options.normalization, inputShape[2]),
  };
}

/** The options as a BuiltModel reports them: inputShape, classes and the variant's own options. */
export function reportedOptions(variant: Variant, resolved: ResolvedOptions): BuildOptions {
  const reported: BuildOptions = { inputShape: resolved.inputShape, classes: resolved.classes };
  for (const option of modelOptionsOf(variant.config)) {
    if (option === 'dropout') reported.dropout = resolved.dropout;
    if (option === 'auxLogits') reported.auxLogits = resolved.auxLogits;
    if (option === 'smallInput') reported.smallInput = resolved.smallInput;
  }
  if (resolved.normalization !== null) reported.normalization = resolved.normalization;
  return reported;
}
