/**
 * tfjs's Engine.gradients with one change: the backward pass frees each intermediate gradient as soon
 * as the node that consumed it has produced its own, as PyTorch does, instead of keeping every
 * gradient of the step alive until the end of the backward pass.
 *
 * tfjs-core 4.22.0's backpropagateGradients (tape.ts) walks the tape backward and keeps a map from each
 * tensor to its accumulated gradient; nothing in the map is disposed before the enclosing tidy ends.
 * On ResNet-20 (32x32x3, batch 64) that is about 100 MiB of gradients of activations held at the end
 * of a training step, on top of the forward pass's saved activations: with it, a step's live memory
 * peaks at the end of the forward pass instead (bench/engine-onednn/memory-profile.mjs).
 *
 * The walk, the filtering of the tape (getFilteredNodesXToY) and the checks are tfjs's own
 * (Apache-2.0, Copyright 2017 Google LLC), rewritten here; the only addition is the release of a
 * node's output gradients after its input gradients are computed. A gradient is released only when
 * the backward pass itself created it (its id is above the ids that existed when the pass started: a
 * gradient function that returns a forward tensor as is keeps it), no other entry of the map holds the
 * same tensor and none of the node's input gradients is that tensor, the caller did not pass it in as
 * `dy`, and no outer tape records the pass (higher-order gradients keep tfjs's behaviour: every
 * tensor of the pass may be saved by the outer tape). The internals it relies on are checked by
 * tfjs-internals.ts.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The members of tfjs's Engine that gradients() uses. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: GradientsFunction;
  constructor: { nextTensorId: number };
}

type GradientsFunction = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients?: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] };

const installed = new WeakSet<object>();

/** Replaces tfjs's Engine.gradients with the lean one (once per engine). */
export function installLeanGradients(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installed.has(engine)) return;
  engine.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients = false) {
    return leanGradients(this, f, xs, dy, allowNoGradients);
  };
  installed.add(engine);
}

function leanGradients(
  engine: EngineInternals,
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy: tf.Tensor | undefined,
  allowNoGradients: boolean,
): { value: tf.Tensor; grads: tf.Tensor[] } {
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = engine.state.activeTape ?? [];
  const filteredTape = filteredNodesXToY(tape, xs, y);
  if (!allowNoGradients && filteredTape.length === 0 && xs.length > 0) {
    throw new Error(
      'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
    );
  }
  return engine.tidy('backward', () => {
    // No outer tape records this pass: its gradients can be freed once consumed.
    const release = engine.state.gradientDepth === 0;
    const firstBackwardId = engine.constructor.nextTensorId;
    const gradients = new Map<number, tf.Tensor>();
    /** How many entries of `gradients` hold each tensor. */
    const holders = new Map<tf.Tensor, number>();
    const set = (id: number, tensor: tf.Tensor) => {
      const previous = gradients.get(id);
      if (previous !== undefined) holders.set(previous, (holders.get(previous) ?? 1) - 1);
      gradients.set(id, tensor);
      holders.set(tensor, (holders.get(tensor) ?? 0) + 1);
    };
    set(y.id, dy ?? tf.ones(y.shape));
    for (let i = filteredTape.length - 1; i >= 0; i--) {
      const node = filteredTape[i];
      const dys = node.outputs.map((o) => gradients.get(o.id) ?? null);
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      const produced = new Set<tf.Tensor>();
      for (const inputName in node.inputs) {
        if (!(inputName in inputGradients)) {
          throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`);
        }
        const dx = engine.tidy(() => inputGradients[inputName]());
        if (dx.dtype !== 'float32') {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`,
          );
        }
        const x = node.inputs[inputName];
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        }
        produced.add(dx);
        const current = gradients.get(x.id);
        if (current === undefined) {
          set(x.id, dx);
        } else {
          set(x.id, tf.add(current, dx));
          if ((holders.get(current) ?? 0) === 0) current.dispose();
          if (release && !holders.get(dx) && dx !== dy && dx.id >= firstBackwardId) dx.dispose();
        }
      }
      if (!release) continue;
      for (const output of node.outputs) {
        const gradient = gradients.get(output.id);
        if (gradient === undefined) continue;
        gradients.delete(output.id);
        const left = (holders.get(gradient) ?? 1) - 1;
        holders.set(gradient, left);
        if (left === 0 && gradient !== dy && gradient.id >= firstBackwardId && !produced.has(gradient)) {
          holders.delete(gradient);
          gradient.dispose();
        }
      }
    }
    const grads = xs.map((x) => gradients.get(x.id)) as tf.Tensor[];
    if (engine.state.gradientDepth === 0) {
      // As tfjs: no higher-order gradient is being taken, so the tape's saved tensors go.
      for (const node of engine.state.activeTape ?? []) for (const tensor of node.saved ?? []) tensor.dispose();
      engine.state.activeTape = null;
    }
    return { value: y, grads };
  });
}

/** tfjs's getFilteredNodesXToY: the nodes on a path from one of `xs` to `y`, with inputs pruned to those that depend on `xs`. */
function filteredNodesXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const tensorsFromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => tensorsFromX.has(input.id))) {
      for (const output of node.outputs) tensorsFromX.add(output.id);
      nodesFromX.add(node.id);
    }
  }
  const tensorsLeadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((output) => tensorsLeadToY.has(output.id))) {
      const inputs = Object.values(node.inputs);
      for (const input of inputs) tensorsLeadToY.add(input.id);
      if (inputs.length > 0) nodesToY.add(node.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (tensorsFromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    filtered.push({ ...node, inputs, outputs: node.outputs });
  }
  return filtered;
}
