/**
 * A PyTorch state_dict as read from a file: tensor name to shape, element type and values. No tfjs
 * here: the API inspects uploads with it.
 */

export type WeightsFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

/** Element types a state_dict may hold, with PyTorch's names. */
export type StateDictDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * One tensor, contiguous in row-major (PyTorch's) order. Floating-point values of every width are
 * held as float32 (what the models compute in); int64 as BigInt64Array; the other integer types as
 * Int32Array. `dtype` is the type stored in the file.
 */
export interface StateDictTensor {
  shape: number[];
  dtype: StateDictDtype;
  data: Float32Array | BigInt64Array | Int32Array;
}

export type StateDict = Map<string, StateDictTensor>;

export interface ReadStateDict {
  format: WeightsFormat;
  tensors: StateDict;
}

/** Bytes per element as stored in a file. */
export const DTYPE_BYTES: Record<StateDictDtype, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function isFloatDtype(dtype: StateDictDtype): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** Bytes the decoded values of `elements` elements of `dtype` take in memory. */
export function decodedBytes(dtype: StateDictDtype, elements: number): number {
  return elements * (dtype === 'int64' ? 8 : 4);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}
