/**
 * What describes a model family, free of tfjs so that the API can read it: its named variants, the
 * options it understands, its dropout default and the layers that change the spatial size. Each
 * family has one descriptor file next to this one, registered once in index.ts; its tfjs builder is
 * registered once in ../build.ts.
 */
import type { InputShape } from '../../types.js';
import type { PlanOptions, SpatialPlan } from '../spatial.js';

export type ModelOption = 'dropout' | 'auxLogits' | 'smallInput';

/** A named variant of a family: a row of its table, like torchvision's `resnet50 = ResNet(Bottleneck, [3, 4, 6, 3])`. */
export interface VariantOf<Config> {
  name: string;
  description: string;
  nativeInputShape: InputShape;
  defaultClasses: number;
  config: Config;
}

export interface FamilyDescriptor<Config extends { family: string }> {
  family: Config['family'];
  variants: ReadonlyArray<VariantOf<Config>>;
  /** The options a variant understands besides inputShape and classes. */
  options(config: Config): ModelOption[];
  /**
   * The layers of its classifier, main and auxiliary heads (what a fine-tune's `freeze: backbone`
   * leaves training): a layer name, or a prefix ending in '.'.
   */
  classifierLayers: readonly string[];
  /** torchvision's dropout rate, for families that have dropout (0 otherwise). */
  defaultDropout: number;
  /**
   * For the main path and each auxiliary head, the layers that change the spatial size, with PyTorch's
   * kernel/stride/padding/ceil_mode semantics (see ../spatial.ts); the smallest input follows from it.
   */
  spatialPlan(config: Config, options: PlanOptions): SpatialPlan;
}

export const IMAGENET: InputShape = [224, 224, 3];
export const CIFAR: InputShape = [32, 32, 3];
