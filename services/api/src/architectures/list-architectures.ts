/** The catalog as the API shows it: the catalog's facts plus each architecture's parameter count. */
import { estimateModelSize } from '@trainyard/cnn/catalog';
import { architectures, type ArchitectureInfo } from './catalog.js';

export interface ArchitectureView extends ArchitectureInfo {
  /** Trainable parameters at the native input shape and default classes. */
  parameters: number;
}

export function listArchitectureViews(): ArchitectureView[] {
  return architectures().map((info) => ({
    ...info,
    parameters: estimateModelSize({ architecture: info.name, inputShape: info.nativeInputShape, classes: info.defaultClasses }).parameters,
  }));
}
