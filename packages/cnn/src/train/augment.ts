/**
 * Training-time augmentation on the plain batch arrays (NHWC, [0, 1] pixels), drawn from the seeded
 * generator so that a run and its resumption augment identically. Same order as torchvision's usual
 * CIFAR recipe: RandomCrop(size, padding) with zero padding, then RandomHorizontalFlip(0.5).
 */
import type { InputShape, TrainConfig } from '../types.js';
import type { SeededRandom } from './random.js';

export function isAugmenting(options: TrainConfig['augmentation']): boolean {
  return options.randomCropPadding > 0 || options.horizontalFlip;
}

/** Returns a new array; `pixels` holds `count` images of `inputShape`. */
export function augmentBatch(
  pixels: Float32Array,
  count: number,
  inputShape: InputShape,
  options: TrainConfig['augmentation'],
  random: SeededRandom,
): Float32Array {
  const [height, width, channels] = inputShape;
  const pad = options.randomCropPadding;
  const imageSize = height * width * channels;
  const out = new Float32Array(count * imageSize);
  for (let image = 0; image < count; image++) {
    // The crop window's top-left corner in the padded image is (pad + dy, pad + dx).
    const dy = pad > 0 ? random.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? random.int(2 * pad + 1) - pad : 0;
    const flip = options.horizontalFlip && random.next() < 0.5;
    const base = image * imageSize;
    for (let y = 0; y < height; y++) {
      const sourceY = y + dy;
      if (sourceY < 0 || sourceY >= height) continue; // a row of padding stays zero
      for (let x = 0; x < width; x++) {
        const sourceX = (flip ? width - 1 - x : x) + dx;
        if (sourceX < 0 || sourceX >= width) continue;
        const to = base + (y * width + x) * channels;
        const from = base + (sourceY * width + sourceX) * channels;
        for (let c = 0; c < channels; c++) out[to + c] = pixels[from + c];
      }
    }
  }
  return out;
}
