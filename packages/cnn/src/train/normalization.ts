import { CnnError } from '../errors.js';
import { getVariant } from '../models/catalog-info.js';
import type { InputShape, Normalization, Split } from '../types.js';

/** What torchvision's ImageNet weights expect: transforms.Normalize(mean, std) on [0, 1] pixels. */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * torchvision's GoogLeNet and Inception v3 weights were trained on (x - 0.5) / 0.5; loaded with their
 * weights, those models set transform_input=True, which maps ImageNet-normalised input back to exactly
 * that. Built into the model here, the same map is this normalisation of the [0, 1] pixels.
 */
export const TRANSFORM_INPUT_NORMALIZATION: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** The `imagenet` normalisation of an architecture: ImageNet's statistics, or transform_input's for GoogLeNet and Inception v3. */
export function imagenetNormalization(architecture: string, inputShape: InputShape): Normalization {
  if (inputShape[2] !== 3) {
    throw new CnnError(
      'invalid_option',
      `normalize "imagenet" needs 3-channel images; these have ${inputShape[2]} (set dataset.channels to 3).`,
      {
        field: 'normalize',
      },
    );
  }
  const family = getVariant(architecture).config.family;
  const normalization = family === 'googlenet' || family === 'inception' ? TRANSFORM_INPUT_NORMALIZATION : IMAGENET_NORMALIZATION;
  return structuredClone(normalization);
}

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
