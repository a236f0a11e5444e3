/**
 * The model catalog without tfjs: what architectures exist, their native input, options and
 * minimum input size, and the checks a request must pass before any model is built. The API server
 * imports this as `@trainyard/cnn/catalog` (it must never load tfjs, not even transitively); the
 * builders read the same table, so there is one source of truth.
 */
import { CnnError } from '../errors.js';
import type { ArchitectureInfo, BuildOptions, InputShape } from '../types.js';
import { checkInputShapeForm, modelOptionsOf, resolveBuildOptions, type ResolvedOptions } from './options.js';
import { smallestInput } from './spatial.js';
import { spatialPlan, VARIANTS, type Variant } from './families/index.js';

export type { ModelOption, ResolvedOptions } from './options.js';
export type { Family, FamilyConfig, Variant, VggLayer } from './families/index.js';

/** The options that change which inputs a variant accepts. */
export type SizeOptions = Pick<BuildOptions, 'auxLogits' | 'smallInput'>;

const BY_NAME = new Map(VARIANTS.map((variant) => [variant.name, variant]));

export function architectureNames(): string[] {
  return VARIANTS.map((variant) => variant.name);
}

/** A variant's table entry; throws CnnError('unknown_architecture') listing the known names. */
export function getVariant(name: string): Variant {
  const variant = typeof name === 'string' ? BY_NAME.get(name) : undefined;
  if (variant === undefined) {
    throw new CnnError(
      'unknown_architecture',
      `unknown architecture ${JSON.stringify(name)}; known architectures: ${architectureNames().join(', ')}`,
      { architecture: name, known: architectureNames() },
    );
  }
  return variant;
}

function sizeFlags(variant: Variant, options: SizeOptions = {}): { auxLogits: boolean; smallInput: boolean } {
  const offered = modelOptionsOf(variant.config);
  return {
    auxLogits: offered.includes('auxLogits') && options.auxLogits !== false,
    smallInput: offered.includes('smallInput') && options.smallInput === true,
  };
}

function minimumFor(variant: Variant, options: SizeOptions = {}): number {
  return smallestInput(spatialPlan(variant.config, sizeFlags(variant, options)));
}

/** Smallest height and width `name` accepts with these options (defaults: the variant's own). */
export function minInputSize(name: string, options: SizeOptions = {}): number {
  return minimumFor(getVariant(name), options);
}

function describe(variant: Variant): ArchitectureInfo {
  return {
    name: variant.name,
    family: variant.config.family,
    description: variant.description,
    nativeInputShape: [...variant.nativeInputShape],
    defaultClasses: variant.defaultClasses,
    minInputSize: minimumFor(variant),
    options: modelOptionsOf(variant.config),
  };
}

const INFOS: readonly ArchitectureInfo[] = VARIANTS.map(describe);

/** Every architecture in the catalog, in a stable order (family by family). */
export function listArchitectures(): ArchitectureInfo[] {
  return INFOS.map((info) => ({ ...info, nativeInputShape: [...info.nativeInputShape], options: [...info.options] }));
}

/** One architecture's facts; throws CnnError('unknown_architecture') listing the known names. */
export function getArchitecture(name: string): ArchitectureInfo {
  const info = INFOS.find((candidate) => candidate.name === getVariant(name).name)!;
  return { ...info, nativeInputShape: [...info.nativeInputShape], options: [...info.options] };
}

/** What would lower the minimum, for the error message. */
function smallerAlternatives(variant: Variant, options: SizeOptions, required: number): string[] {
  const hints: string[] = [];
  const flags = sizeFlags(variant, options);
  const offered = modelOptionsOf(variant.config);
  if (offered.includes('smallInput') && !flags.smallInput) {
    const size = minimumFor(variant, { ...options, smallInput: true });
    if (size < required) hints.push(`${size}x${size} with smallInput: true`);
  }
  if (offered.includes('auxLogits') && flags.auxLogits) {
    const size = minimumFor(variant, { ...options, auxLogits: false });
    if (size < required) hints.push(`${size}x${size} with auxLogits: false`);
  }
  return hints;
}

/**
 * Throws CnnError('invalid_option') when `inputShape` is not three positive integers, and
 * CnnError('input_too_small') when the architecture cannot take it (the message names the
 * architecture, the given size and the minimum).
 */
export function checkInputShape(name: string, inputShape: InputShape, options: SizeOptions = {}): void {
  const variant = getVariant(name);
  checkInputShapeForm(name, inputShape);
  const required = minimumFor(variant, options);
  const [height, width] = inputShape;
  if (height >= required && width >= required) return;
  const hints = smallerAlternatives(variant, options, required);
  throw new CnnError(
    'input_too_small',
    `${name} needs inputs of at least ${required}x${required}, got ${height}x${width}` +
      (hints.length > 0 ? ` (it accepts ${hints.join(', or ')})` : ''),
    { architecture: name, inputShape: [...inputShape], minInputSize: required },
  );
}

/**
 * Everything a build request must satisfy, checked before any layer exists: option types and ranges
 * (invalid_option), then the input size (input_too_small). Returns the options with defaults filled.
 */
export function validateBuildOptions(name: string, options: BuildOptions): ResolvedOptions {
  const variant = getVariant(name);
  const resolved = resolveBuildOptions(variant, options);
  checkInputShape(name, resolved.inputShape, resolved);
  return resolved;
}
