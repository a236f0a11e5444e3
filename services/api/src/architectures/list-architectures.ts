/**
 * The catalog as the API shows it. Parameter counts come from the catalog when it provides them
 * (counting them here would mean building every model with tfjs inside the API process).
 */
import { architectures, type ArchitectureInfo } from './catalog.js';

export interface ArchitectureView extends ArchitectureInfo {
  /** Trainable and non-trainable parameters with the native input and default classes; null if unknown. */
  parameters: number | null;
}

function parameterCount(info: ArchitectureInfo): number | null {
  const value = (info as unknown as { parameters?: unknown }).parameters;
  return typeof value === 'number' ? value : null;
}

let cached: ArchitectureView[] | null = null;

export function listArchitectureViews(): ArchitectureView[] {
  cached ??= architectures().map((info) => ({
    ...info,
    parameters: parameterCount(info),
  }));
  return cached;
}
