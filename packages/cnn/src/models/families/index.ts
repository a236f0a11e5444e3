/**
 * The one registry of model families. A new family is a descriptor file in this folder, a line here,
 * a builder file and a line in ../build.ts (the compiler asks for the builder).
 */
import { alexnet, type AlexNetConfig } from './alexnet.js';
import { densenet, type DenseNetConfig } from './densenet.js';
import type { FamilyDescriptor, VariantOf } from './family.js';
import { googlenet, type GoogLeNetConfig } from './googlenet.js';
import { inception, type InceptionConfig } from './inception.js';
import { lenet, type LeNetConfig } from './lenet.js';
import { resnet, type ResNetConfig } from './resnet.js';
import { vgg, type VggConfig } from './vgg.js';
import type { PlanOptions, SpatialPlan } from '../spatial.js';

export type { FamilyDescriptor, ModelOption } from './family.js';
export type { DenseNetConfig, ResNetConfig };
export type { VggLayer } from './vgg.js';

export type FamilyConfig = LeNetConfig | AlexNetConfig | VggConfig | GoogLeNetConfig | InceptionConfig | ResNetConfig | DenseNetConfig;
export type Family = FamilyConfig['family'];
export type ConfigOf<F extends Family> = Extract<FamilyConfig, { family: F }>;
export type Variant = VariantOf<FamilyConfig>;

/** In catalog order: the order of `trainyard models` and GET /v1/architectures. */
const FAMILIES: { readonly [F in Family]: FamilyDescriptor<ConfigOf<F>> } = { lenet, alexnet, vgg, googlenet, inception, resnet, densenet };

export function descriptorOf<C extends FamilyConfig>(config: C): FamilyDescriptor<C> {
  return FAMILIES[config.family] as unknown as FamilyDescriptor<C>;
}

export const VARIANTS: readonly Variant[] = Object.values(FAMILIES).flatMap((family): readonly Variant[] => family.variants);

export function spatialPlan(config: FamilyConfig, options: PlanOptions): SpatialPlan {
  return descriptorOf(config).spatialPlan(config, options);
}
