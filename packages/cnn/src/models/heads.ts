import type { Tensor } from './layers.js';

/** What a family builder returns: the main logits, then any auxiliary logits (training only). */
export interface Heads {
  logits: Tensor;
  auxLogits: Tensor[];
}
