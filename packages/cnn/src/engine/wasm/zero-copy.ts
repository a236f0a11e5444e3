import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/**
 * Identity and same-type Cast that share the input's buffer (reference counted) as the cpu backend
 * does, instead of copying it. Tensors are immutable, and the engine clones every tensor it saves
 * for the backward pass: ResNet-20 made 627 copies per training step, most of whole activations.
 */
export function identity(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * The backend's own Cast copies values with TypedArray.set, which truncates instead of testing for
 * non-zero when casting to bool (-3.2 became 253): those casts are done here.
 */
export function makeCast(original: tf.KernelConfig) {
  return function cast(args: Args): tf.TensorInfo {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (dtype === x.dtype) return identity(args);
    if (dtype === 'bool' && x.dtype !== 'string') {
      const out = args.backend.makeOutput(x.shape, 'bool');
      const source = args.backend.typedArrayFromHeap(x);
      const target = args.backend.typedArrayFromHeap(out);
      for (let i = 0; i < source.length; i++) target[i] = source[i] !== 0 ? 1 : 0;
      return out;
    }
    return original.kernelFunc(args) as tf.TensorInfo;
  };
}
