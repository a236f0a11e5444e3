import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { composite } from './kernel-runner.js';

/**
 * The filter gradient of a 2-D convolution, which tfjs-backend-wasm 4.22 lacks, computed as one
 * forward convolution (XNNPACK) on transposed operands:
 *
 *   dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - top, ow*s + kw - left, ci] * dy[n, oh, ow, co]
 *
 * is a convolution whose "batch" is ci, whose "input channels" are the examples n, whose filter is dy
 * (spatial size outH x outW) and whose dilation is the original stride s. Its output is
 * [ci, kh, kw, co]; one transpose gives tfjs's [kh, kw, ci, co].
 */
export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error('wasm Conv2DBackpropFilter supports only NHWC (channelsLast)');
  }
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  // The padding after the input that the last window reaches into; negative when the forward
  // convolution never reached the last rows/columns, in which case the result is sliced instead.
  const bottom = (outHeight - 1) * strideHeight + filterHeight - inHeight - top;
  const right = (outWidth - 1) * strideWidth + filterWidth - inWidth - left;

  return composite(args.backend, (kernels) => {
    const examplesLast = kernels.transpose(x, [3, 1, 2, 0]); // [ci, H, W, n]
    const gradientAsFilter = kernels.transpose(dy, [1, 2, 0, 3]); // [outH, outW, n, co]
    let result = kernels.run(
      tf.Conv2D,
      { x: examplesLast, filter: gradientAsFilter },
      {
        strides: [1, 1],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [top, Math.max(bottom, 0)],
          [left, Math.max(right, 0)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    ); // [ci, fh (or more), fw (or more), co]
    if (bottom < 0 || right < 0) {
      result = kernels.slice(result, [0, 0, 0, 0], [info.inChannels, filterHeight, filterWidth, info.outChannels]);
    }
    return kernels.transpose(result, [1, 2, 0, 3]);
  });
}
