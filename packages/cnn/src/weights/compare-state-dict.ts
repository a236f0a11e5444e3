/**
 * Holds a state_dict read from a file to the one an architecture expects, tensor by tensor, as
 * load_state_dict(strict=True) would, with the allowances fine-tuning needs: a classifier of another
 * number of classes (when the caller replaces it), auxiliary heads the file has and the model does not
 * (dropped, as torchvision drops them), auxiliary heads the model has and the file does not (left as
 * initialised), and num_batches_tracked missing (files older than torch 0.4.1 lack it).
 */
import { isFloatDtype, type StateDict } from './state-dict.js';
import type { ExpectedTensor } from './torchvision-state-dict.js';
import type { TensorMismatch } from './weights-errors.js';

const AUXILIARY_PREFIXES = ['aux1.', 'aux2.', 'AuxLogits.'];

export interface StateDictComparison {
  mismatches: TensorMismatch[];
  /** Expected tensors the file has but that are not loaded: a classifier of another size. */
  skipped: TensorMismatch[];
  /** Expected tensors the file lacks that stay as initialised: auxiliary heads, num_batches_tracked. */
  missing: string[];
  /** File tensors the architecture does not use: auxiliary heads the model was built without. */
  ignored: string[];
}

function isAuxiliaryName(name: string): boolean {
  return AUXILIARY_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export function compareStateDict(
  expected: ExpectedTensor[],
  tensors: StateDict,
  options: { skipClassifier: boolean },
): StateDictComparison {
  const result: StateDictComparison = { mismatches: [], skipped: [], missing: [], ignored: [] };
  const fileHasAuxiliary = [...tensors.keys()].some(isAuxiliaryName);
  const names = new Set(expected.map((tensor) => tensor.name));
  for (const want of expected) {
    const got = tensors.get(want.name);
    if (got === undefined) {
      if (want.role === 'num_batches_tracked' || (want.auxiliary && !fileHasAuxiliary)) result.missing.push(want.name);
      else result.mismatches.push({ name: want.name, expected: want.shape, got: null });
      continue;
    }
    if (want.role === 'num_batches_tracked') {
      if (got.data.length !== 1) result.mismatches.push({ name: want.name, expected: want.shape, got: got.shape });
      continue;
    }
    const sameShape = got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
    if (!isFloatDtype(got.dtype)) {
      result.mismatches.push({ name: want.name, expected: want.shape, got: got.shape, dtype: got.dtype });
    } else if (sameShape && !(want.classifier && options.skipClassifier)) {
      continue;
    } else if (
      want.classifier &&
      options.skipClassifier &&
      got.shape.length === want.shape.length &&
      got.shape.slice(1).every((d, i) => d === want.shape[i + 1])
    ) {
      result.skipped.push({ name: want.name, expected: want.shape, got: got.shape });
    } else {
      result.mismatches.push({ name: want.name, expected: want.shape, got: got.shape });
    }
  }
  const modelHasAuxiliary = expected.some((tensor) => tensor.auxiliary);
  for (const [name, tensor] of tensors) {
    if (names.has(name)) continue;
    if (isAuxiliaryName(name) && !modelHasAuxiliary) result.ignored.push(name);
    else result.mismatches.push({ name, expected: null, got: tensor.shape });
  }
  return result;
}
