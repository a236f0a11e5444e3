/**
 * What the fast paths that fuse a layer with the next one need from tfjs-layers: the model executing
 * right now (its own apply/call, predict), the graph around a layer, and layers that pass on, as a new
 * tensor on the same storage, an input whose work an earlier fused kernel already did.
 * Fusing only inside a model's own execution, and only layers of that model, keeps a layer called on
 * its own giving what it always gives.
 */
import * as tf from '@tensorflow/tfjs';

interface GraphNode {
  outboundLayer: GraphLayer;
}

export interface GraphLayer {
  inboundNodes: GraphNode[];
  outboundNodes: GraphNode[];
  getClassName(): string;
}

/** The fields of tfjs-layers' Conv2D the fusing fast paths read. */
export interface ConvLayer extends GraphLayer {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: 'same' | 'valid';
  dilationRate: number[];
  dataFormat: string;
  activation: { getClassName(): string };
}

export interface Model {
  layers: GraphLayer[];
  outputLayers: GraphLayer[];
}

export type LayerKwargs = { training?: boolean } | undefined;
type LayerCall = (this: GraphLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs) => tf.Tensor | tf.Tensor[];

/** Models executing right now, innermost last. */
const executing: Model[] = [];
/** Outputs of a fused kernel, with the layers still to pass them through. */
const passThrough = new WeakMap<tf.Tensor, GraphLayer[]>();

export function executingModel(): Model | undefined {
  return executing.at(-1);
}

/** The layer `layer` if it is of `className` with a single inbound node, else null. */
export function only<T extends GraphLayer>(layer: GraphLayer, className: string): T | null {
  return layer.getClassName() === className && layer.inboundNodes.length === 1 ? (layer as T) : null;
}

/** The one layer consuming `layer`'s output, if it has exactly one consumer, of `className`, in `model`. */
export function soleConsumer<T extends GraphLayer>(layer: GraphLayer, className: string, model: Model): T | null {
  if (layer.outboundNodes.length !== 1 || !model.layers.includes(layer) || model.outputLayers.includes(layer)) return null;
  const next = only<T>(layer.outboundNodes[0].outboundLayer, className);
  return next !== null && model.layers.includes(next) ? next : null;
}

/** The single input tensor of a layer call, or null. */
export function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  return x instanceof tf.Tensor ? x : null;
}

export function gradientsRecorded(): boolean {
  return ((tf.engine().state as unknown as { gradientDepth?: number }).gradientDepth ?? 0) > 0;
}

/** Marks a fused kernel's output: `layers` (in order) are to pass it on instead of computing. */
export function passOn(y: tf.Tensor, layers: GraphLayer[]): void {
  passThrough.set(y, layers);
}

/** A layer whose work a fused kernel already did: its input, as a new tensor on the same storage. */
function passedThrough(layer: GraphLayer, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  const x = singleInput(inputs);
  const pending = x ? passThrough.get(x) : undefined;
  if (!x || !pending || pending[0] !== layer) return null;
  const y = tf.clone(x);
  if (pending.length > 1) passThrough.set(y, pending.slice(1));
  return y;
}

/** Lets `replacement` answer a layer class's call, the layer's own call running when it returns null. */
export function patchCall(
  prototype: object,
  replacement: (layer: GraphLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs) => tf.Tensor | null,
): void {
  const target = prototype as { call: LayerCall };
  const original = target.call;
  target.call = function (this: GraphLayer, inputs, kwargs) {
    return replacement(this, inputs, kwargs) ?? original.call(this, inputs, kwargs);
  };
}

const passingOn = new WeakSet<object>();

/** Makes instances of a layer class pass on a fused kernel's output marked for them (once per class). */
export function passThroughLayers(prototype: object): void {
  if (passingOn.has(prototype)) return;
  passingOn.add(prototype);
  patchCall(prototype, passedThrough);
}

/** Runs `method` of a model with that model as the innermost executing one. */
function patchExecution(prototype: object, method: string): void {
  const target = prototype as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method];
  target[method] = function (this: Model, ...args: unknown[]) {
    executing.push(this);
    try {
      return original.apply(this, args);
    } finally {
      executing.pop();
    }
  };
}

let tracking = false;

/** Tracks the executing model (once, whichever fast path asks first). */
export function trackModelExecution(): void {
  if (tracking) return;
  tracking = true;
  const model = tf.LayersModel.prototype as unknown as Record<string, unknown>;
  // Container.call runs a functional model's graph (apply); predict runs it through the executor.
  patchExecution(Object.getPrototypeOf(model) as object, 'call');
  patchExecution(model, 'predict');
  patchExecution(model, 'predictOnBatch');
}

/** The prototype of a tfjs-layers layer class, from an instance made by `make`. */
export function layerPrototype(make: () => tf.layers.Layer): object {
  return Object.getPrototypeOf(make()) as object;
}
