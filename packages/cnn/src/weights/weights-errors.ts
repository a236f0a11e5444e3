/**
 * The three ways a weights file is refused, each with its stable code (see ../errors.ts).
 */
import { CnnError } from '../errors.js';

/** Truncated, inconsistent, or in none of the accepted formats. */
export function malformed(problem: string, details?: Record<string, unknown>): CnnError {
  return new CnnError('weights_malformed', `malformed weights file: ${problem}`, details);
}

/** A pickle that asks for something torch.load(weights_only=True) refuses. */
export function unsafe(problem: string, details?: Record<string, unknown>): CnnError {
  return new CnnError('weights_unsafe', `refused to unpickle the weights file: ${problem}`, details);
}

/** One tensor that does not fit: `null` where a side has no such tensor. */
export interface TensorMismatch {
  name: string;
  expected: number[] | null;
  got: number[] | null;
  /** Set when the shapes agree but the file's element type cannot be a parameter (not floating point). */
  dtype?: string;
}

export function mismatch(architecture: string, tensors: TensorMismatch[]): CnnError {
  const shown = tensors
    .slice(0, 5)
    .map((t) => `${t.name} (expected ${t.expected ? `[${t.expected}]` : 'no such tensor'}, got ${t.got ? `[${t.got}]` : 'none'})`);
  const more = tensors.length > 5 ? ` and ${tensors.length - 5} more` : '';
  return new CnnError('weights_mismatch', `the weights do not fit ${architecture}: ${shown.join(', ')}${more}`, { architecture, tensors });
}
