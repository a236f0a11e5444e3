import type { InputShape, Normalization, Split } from '../types.js';

/** Images read per batch while computing statistics: bounded memory whatever the dataset size. */
const STATISTICS_BATCH = 1024;

/**
 * Per-channel mean and standard deviation of the examples at `indices`, streamed batch by batch and
 * summed in float64. The standard deviation is the unbiased one, as torch.Tensor.std() computes it
 * in the reference script. A constant channel gets std 1 so that normalising never divides by zero.
 */
export function computeNormalization(split: Split, indices: Int32Array, inputShape: InputShape): Normalization {
  const channels = inputShape[2];
  const sum = new Float64Array(channels);
  const sumOfSquares = new Float64Array(channels);
  for (let start = 0; start < indices.length; start += STATISTICS_BATCH) {
    const batch = split.read(indices.subarray(start, start + STATISTICS_BATCH));
    const x = batch.x;
    for (let i = 0; i < x.length; i++) {
      const c = i % channels;
      const v = x[i];
      sum[c] += v;
      sumOfSquares[c] += v * v;
    }
  }
  const count = indices.length * inputShape[0] * inputShape[1];
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / count;
    const variance = count > 1 ? Math.max(0, (sumOfSquares[c] - count * m * m) / (count - 1)) : 0;
    mean.push(m);
    std.push(variance > 0 ? Math.sqrt(variance) : 1);
  }
  return { mean, std };
}
