import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloats } from './heap.js';
import { composite, type KernelRunner } from './kernel-runner.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/**
 * The input gradient of a 2-D convolution as one forward convolution (XNNPACK), replacing the wasm
 * backend's own kernel, a single-threaded scalar loop about 10x slower on LeNet-5's shapes:
 *
 *   dx = conv2d(dy with stride - 1 zeros inserted between pixels, filter flipped in space with its
 *               input and output channels swapped, padding filterSize - 1 - forward padding)
 *
 * Paddings this cannot express (a forward padding larger than the filter) go to the original kernel.
 */
export function makeConv2DBackpropInput(original: tf.KernelConfig | undefined) {
  return function conv2DBackpropInput(args: Args): tf.TensorInfo {
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
    const top = filterHeight - 1 - info.padInfo.top;
    const left = filterWidth - 1 - info.padInfo.left;
    if (top < 0 || left < 0 || info.dataFormat !== 'channelsLast' || dy.dtype !== 'float32') {
      if (original === undefined) throw new Error('wasm Conv2DBackpropInput: unsupported padding or layout');
      return original.kernelFunc(args) as tf.TensorInfo;
    }
    // Zero insertion leaves stride - 1 zero rows after the last one; they count as bottom padding.
    const spreadHeight = outHeight * strideHeight;
    const spreadWidth = outWidth * strideWidth;
    const bottom = inHeight + filterHeight - 1 - spreadHeight - top;
    const right = inWidth + filterWidth - 1 - spreadWidth - left;

    return composite(args.backend, (kernels) => {
      const unitStride = strideHeight === 1 && strideWidth === 1;
      const spread = unitStride ? dy : insertZeros(args.backend, kernels, dy, strideHeight, strideWidth);
      const flipped = flipFilter(args.backend, kernels, filter);
      let dx = kernels.run(
        tf.Conv2D,
        { x: spread, filter: flipped },
        {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [top, Math.max(bottom, 0)],
            [left, Math.max(right, 0)],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
      if (bottom < 0 || right < 0) dx = kernels.slice(dx, [0, 0, 0, 0], info.inShape);
      return dx;
    });
  };
}

/** [n, h, w, c] -> [n, h * sh, w * sw, c] with each pixel at the top left of its sh x sw cell. */
function insertZeros(
  backend: BackendWasm,
  kernels: KernelRunner,
  dy: tf.TensorInfo,
  strideHeight: number,
  strideWidth: number,
): tf.TensorInfo {
  const [batch, height, width, channels] = dy.shape;
  const spreadWidth = width * strideWidth;
  const out = kernels.zeros([batch, height * strideHeight, spreadWidth, channels]);
  const source = heapFloats(backend, dy);
  const target = heapFloats(backend, out);
  for (let n = 0; n < batch; n++) {
    for (let row = 0; row < height; row++) {
      const sourceRow = (n * height + row) * width * channels;
      const targetRow = (n * height * strideHeight + row * strideHeight) * spreadWidth * channels;
      for (let col = 0; col < width; col++) {
        const from = sourceRow + col * channels;
        target.set(source.subarray(from, from + channels), targetRow + col * strideWidth * channels);
      }
    }
  }
  return out;
}

/** [fh, fw, in, out] -> [fh, fw, out, in], reversed along both spatial axes. */
function flipFilter(backend: BackendWasm, kernels: KernelRunner, filter: tf.TensorInfo): tf.TensorInfo {
  const [height, width, inChannels, outChannels] = filter.shape;
  const out = kernels.allocate([height, width, outChannels, inChannels]);
  const source = heapFloats(backend, filter);
  const target = heapFloats(backend, out);
  const taps = height * width;
  const tapSize = inChannels * outChannels;
  for (let tap = 0; tap < taps; tap++) {
    const from = (taps - 1 - tap) * tapSize;
    const to = tap * tapSize;
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0; o < outChannels; o++) target[to + o * inChannels + i] = source[from + i * outChannels + o];
    }
  }
  return out;
}
