/**
 * _OnednnConv2DMaxPool: a convolution (bias, ReLU) and the max pooling after it in one kernel
 * (native/conv_pool.cc), and its gradients: the filter's and the bias's in one kernel, the input's in
 * another. The convolution's output stays in native scratch memory; while gradients are recorded the
 * pooled output carries, as side data, which cell of each window held the maximum (one byte each).
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { conv2dInfo, convParams, fusedActivation } from './conv.js';
import { FUSED_KERNEL_NAMES as N, run, runAll, type FusedConvAttrs } from './fused.js';
import { nativeKernel, recordingGradients, sizeOf } from './kernel.js';

export interface ConvPoolAttrs extends FusedConvAttrs {
  poolSize: [number, number];
  poolStrides: [number, number];
  poolPad: 'valid' | 'same';
}

interface Plan {
  conv: Int32Array;
  pool: Int32Array;
  inShape: number[];
  filterShape: number[];
  outShape: number[];
}

function plan(xShape: number[], filterShape: number[], attrs: ConvPoolAttrs, hasBias: boolean): Plan {
  const activation = fusedActivation(attrs.activation);
  if (activation === null) throw new Error(`onednn: unsupported fused activation ${attrs.activation}`);
  const conv = conv2dInfo(xShape, filterShape, attrs);
  const pool = tf.backend_util.computePool2DInfo(
    conv.outShape as [number, number, number, number],
    attrs.poolSize,
    attrs.poolStrides,
    1,
    attrs.poolPad,
  );
  return {
    conv: convParams(conv, activation, hasBias),
    pool: Int32Array.of(
      pool.outHeight,
      pool.outWidth,
      pool.filterHeight,
      pool.filterWidth,
      pool.strideHeight,
      pool.strideWidth,
      pool.padInfo.top,
      pool.padInfo.left,
    ),
    inShape: conv.inShape,
    filterShape: conv.filterShape,
    outShape: pool.outShape,
  };
}

/** The window cells the forward pass recorded, one byte per pooled value, in a pooled array's buffer. */
function indicesFor(backend: OnednnBackend, count: number): Uint8Array {
  const words = backend.allocate(Math.ceil(count / 4));
  return new Uint8Array(words.buffer, words.byteOffset, count);
}

type ForwardInputs = { filter: tf.TensorInfo; bias?: tf.TensorInfo; x: tf.TensorInfo };

const convPool = nativeKernel<ForwardInputs, ConvPoolAttrs>(N.convPool, ({ inputs: { filter, bias, x }, backend, attrs }) => {
  const p = plan(x.shape, filter.shape, attrs, bias != null);
  const size = sizeOf(p.outShape);
  const pooled = backend.allocate(size);
  const indices = recordingGradients() ? indicesFor(backend, size) : null;
  backend.native.convPoolForward(
    p.conv,
    p.pool,
    backend.floats(x),
    backend.floats(filter),
    bias == null ? null : backend.floats(bias),
    pooled,
    indices,
  );
  const output = backend.output(pooled, p.outShape);
  if (indices !== null) backend.attach(output, indices);
  return output;
});

type GradInputs = { x: tf.TensorInfo; filter: tf.TensorInfo; dy: tf.TensorInfo; pooled: tf.TensorInfo };
type GradAttrs = ConvPoolAttrs & { reuse: boolean };

function backward(
  { x, filter, dy, pooled }: GradInputs,
  backend: OnednnBackend,
  attrs: GradAttrs,
  outputs: { dFilter?: Float32Array; dBias?: Float32Array; dx?: Float32Array },
): void {
  const indices = backend.attached<Uint8Array>(pooled);
  if (indices === undefined) throw new Error('onednn: the max-pooling positions of a fused convolution were not kept');
  const p = plan(x.shape, filter.shape, attrs, false);
  backend.native.convPoolBackward(
    p.conv,
    p.pool,
    backend.floats(x),
    backend.floats(filter),
    backend.floats(dy),
    backend.floats(pooled),
    indices,
    outputs.dFilter ?? null,
    outputs.dBias ?? null,
    outputs.dx ?? null,
    attrs.reuse ? 1 : 0,
  );
}

/** [dFilter, dBias]. */
const convPoolBackpropWeights = nativeKernel<GradInputs, GradAttrs>(N.convPoolBackpropWeights, ({ inputs, backend, attrs }) => {
  const dFilter = backend.allocate(sizeOf(inputs.filter.shape));
  const channels = inputs.filter.shape[3];
  const dBias = backend.allocate(channels);
  backward(inputs, backend, attrs, { dFilter, dBias });
  return [backend.output(dFilter, inputs.filter.shape), backend.output(dBias, [channels])];
});

const convPoolBackpropInput = nativeKernel<GradInputs, GradAttrs>(N.convPoolBackpropInput, ({ inputs, backend, attrs }) => {
  const dx = backend.allocate(sizeOf(inputs.x.shape));
  backward(inputs, backend, attrs, { dx });
  return backend.output(dx, inputs.x.shape);
});

/**
 * The gradient at the convolution's output that the last backward kernel left in native scratch
 * memory, by tape node: a node's gradient calls run one after another, so the second of them finds
 * it still there and skips the scatter.
 */
let scratchHolder: object | null = null;

tf.registerGradient({
  kernelName: N.convPool,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, pooled] = saved;
    const node = {};
    const inputs = { x, filter, dy: dy as tf.Tensor, pooled };
    const call = <T>(go: (reuse: boolean) => T): T => {
      const reuse = scratchHolder === node;
      scratchHolder = null;
      const result = go(reuse);
      scratchHolder = node;
      return result;
    };
    let dBias: Float32Array | null = null;
    const weights = (): tf.Tensor[] =>
      call((reuse) => {
        const [dFilter, bias] = runAll(N.convPoolBackpropWeights, inputs, { ...attrs, reuse });
        dBias = (tf.backend() as OnednnBackend).floats(bias).slice();
        return [dFilter, bias];
      });
    return {
      filter: () => weights()[0],
      bias: () => (dBias !== null ? tf.tensor1d(dBias) : weights()[1]),
      x: () => call((reuse) => run(N.convPoolBackpropInput, inputs, { ...attrs, reuse })),
    };
  },
});

export const convPoolKernels: tf.KernelConfig[] = [convPool, convPoolBackpropWeights, convPoolBackpropInput];
