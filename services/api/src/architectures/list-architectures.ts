/** The catalog as the API shows it: the catalog's facts plus each architecture's parameter count. */
import type { Logger } from 'pino';
import { architectures, type ArchitectureInfo } from './catalog.js';
import { architectureFacts } from './parameter-counts.js';

export interface ArchitectureView extends ArchitectureInfo {
  /** Trainable parameters at the native input shape and default classes; null if it could not be counted. */
  parameters: number | null;
}

export async function listArchitectureViews(logger?: Logger): Promise<ArchitectureView[]> {
  const facts = await architectureFacts(logger);
  return architectures().map((info) => ({ ...info, parameters: facts.get(info.name)?.parameters ?? null }));
}
