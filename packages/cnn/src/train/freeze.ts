/**
 * Freezing layers for fine-tuning. A frozen layer's weights take no gradient and no weight decay, and
 * a frozen batch norm runs in inference mode (its moving statistics normalise and do not move), so
 * every frozen tensor comes out of training bit for bit as it went in (PyTorch's requires_grad=False
 * plus .eval() on the frozen batch norms, Keras's trainable=False).
 *
 * The optimizer matches its state to variables by position, so the order of the trainable variables
 * is fixed by the freeze alone: first the variables that train from the start, in model order, then
 * the frozen ones, appended when they are unfrozen. A run resumed on either side of the unfreeze
 * epoch therefore lines its saved optimizer state up with the same variables.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import { getVariant } from '../models/catalog-info.js';
import { descriptorOf } from '../models/families/index.js';
import type { FreezeSpec } from '../types.js';

/** Layers that own trainable weights (the baked-in normalisation never trains, frozen or not). */
function layersWithWeights(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.trainable && layer.trainableWeights.length > 0);
}

function isClassifier(layerName: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => (prefix.endsWith('.') ? layerName.startsWith(prefix) : layerName === prefix));
}

/**
 * The names of the layers `freeze` freezes in `model` (an architecture of the catalog). Throws
 * invalid_option for a prefix that names no layer with weights, and for a freeze that leaves nothing
 * to train.
 */
export function layersToFreeze(model: tf.LayersModel, architecture: string, freeze: FreezeSpec | undefined): string[] {
  if (freeze === undefined || freeze === 'none') return [];
  const candidates = layersWithWeights(model);
  let frozen: tf.layers.Layer[];
  if (freeze === 'backbone') {
    const prefixes = descriptorOf(getVariant(architecture).config).classifierLayers;
    frozen = candidates.filter((layer) => !isClassifier(layer.name, prefixes));
  } else {
    for (const prefix of freeze) {
      if (!candidates.some((layer) => layer.name.startsWith(prefix))) {
        throw new CnnError('invalid_option', `model.freeze: no layer of ${architecture} with weights starts with "${prefix}".`, {
          field: 'model.freeze',
          prefix,
        });
      }
    }
    frozen = candidates.filter((layer) => freeze.some((prefix) => layer.name.startsWith(prefix)));
  }
  if (frozen.length === candidates.length) {
    throw new CnnError('invalid_option', `model.freeze freezes every layer of ${architecture}; nothing would train.`, {
      field: 'model.freeze',
    });
  }
  return frozen.map((layer) => layer.name);
}

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/**
 * The frozen layers of one training model. `variables` lists what the optimizer updates, in the
 * order described above; `unfreeze` makes every layer train again (idempotent).
 */
export class FrozenLayers {
  private readonly layers: tf.layers.Layer[];
  private readonly trainableFirst: tf.LayerVariable[];
  private frozen: boolean;

  constructor(
    private readonly model: tf.LayersModel,
    names: readonly string[],
  ) {
    const wanted = new Set(names);
    this.layers = model.layers.filter((layer) => wanted.has(layer.name));
    for (const layer of this.layers) freezeLayer(layer);
    this.frozen = this.layers.length > 0;
    this.trainableFirst = model.trainableWeights.slice();
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  get frozenLayerNames(): string[] {
    return this.layers.map((layer) => layer.name);
  }

  /** The trainable weights, those that trained from the start first. */
  trainableWeights(): tf.LayerVariable[] {
    if (this.frozen) return this.trainableFirst.slice();
    const first = new Set(this.trainableFirst);
    return [...this.trainableFirst, ...this.model.trainableWeights.filter((weight) => !first.has(weight))];
  }

  unfreeze(): void {
    if (!this.frozen) return;
    for (const layer of this.layers) thawLayer(layer);
    this.frozen = false;
  }
}

function freezeLayer(layer: tf.layers.Layer): void {
  layer.trainable = false;
  if (layer.getClassName() === 'BatchNormalization') {
    // Whatever `call` the prototype has now (an engine may have replaced it), with training off.
    const prototypeCall = (Object.getPrototypeOf(layer) as { call: Call }).call;
    (layer as unknown as { call: Call }).call = function (this: tf.layers.Layer, inputs, kwargs) {
      return prototypeCall.call(this, inputs, { ...kwargs, training: false });
    };
  }
}

function thawLayer(layer: tf.layers.Layer): void {
  layer.trainable = true;
  delete (layer as unknown as { call?: Call }).call;
}
