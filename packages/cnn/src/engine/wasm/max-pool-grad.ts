import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloats } from './heap.js';

/**
 * The gradient of 2-D max pooling, replacing the wasm backend's scalar loop (about 10x slower on
 * LeNet-5's shapes). Each output's gradient goes to the first maximum of its window in row-major
 * order, as in tfjs's cpu backend; windows that overlap add up.
 */
export function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;

  const dxInfo = args.backend.makeOutput(input.shape, 'float32');
  const x = heapFloats(args.backend, input);
  const gradient = heapFloats(args.backend, dy);
  const dx = heapFloats(args.backend, dxInfo).fill(0);
  const rowSize = inWidth * channels;
  for (let n = 0; n < batchSize; n++) {
    const image = n * inHeight * rowSize;
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowStart = outRow * strideHeight - top;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let outCol = 0; outCol < outWidth; outCol++) {
        const colStart = outCol * strideWidth - left;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + filterWidth);
        const dyOffset = ((n * outHeight + outRow) * outWidth + outCol) * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let row = rowFrom; row < rowTo; row++) {
            for (let col = colFrom; col < colTo; col++) {
              const index = image + row * rowSize + col * channels + c;
              if (x[index] > best) {
                best = x[index];
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] += gradient[dyOffset + c];
        }
      }
    }
  }
  return dxInfo;
}
