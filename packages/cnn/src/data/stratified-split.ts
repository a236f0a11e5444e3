/**
 * Seeded, stratified held-out splits: each class gives the same share of its examples, so that a
 * small validation or test set still has every class in proportion.
 */
import { CnnError } from '../errors.js';
import { seededRandom, shuffleInPlace } from './random.js';

export interface StratifiedSplit {
  /** Indices that stay (ascending). */
  kept: Int32Array;
  /** Indices held out (ascending). */
  heldOut: Int32Array;
}

/**
 * Holds out round(n * fraction) of the n examples, shared among classes by largest remainder, at most
 * all but one example of a class (every class keeps one). Which examples of a class are held out is
 * decided by a shuffle seeded with `seed`; both index lists come back in ascending order.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): StratifiedSplit {
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) {
    throw new CnnError('invalid_option', `A held-out fraction must be in [0, 1); got ${fraction}.`, { fraction });
  }
  const byClass = indicesByClass(labels);
  const counts = byClass.map((members) => members.length);
  const held = heldOutCounts(counts, fraction);
  const random = seededRandom(`stratified-${seed}`);
  const isHeld = new Uint8Array(labels.length);
  byClass.forEach((members, c) => {
    const order = shuffleInPlace(Int32Array.from(members), random);
    for (let k = 0; k < held[c]; k++) isHeld[order[k]] = 1;
  });
  const heldOut: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < labels.length; i++) (isHeld[i] ? heldOut : kept).push(i);
  return { kept: Int32Array.from(kept), heldOut: Int32Array.from(heldOut) };
}

/** Number of examples of each class 0..max(label). */
export function countClasses(labels: ArrayLike<number>, classes?: number): number[] {
  let n = classes ?? 0;
  for (let i = 0; i < labels.length; i++) n = Math.max(n, labels[i] + 1);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

function indicesByClass(labels: ArrayLike<number>): number[][] {
  const byClass: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new CnnError('invalid_option', `Label ${label} at index ${i} is not a class index.`, { index: i });
    }
    while (byClass.length <= label) byClass.push([]);
    byClass[label].push(i);
  }
  return byClass;
}

function heldOutCounts(counts: number[], fraction: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  const held = counts.map((n) => Math.min(Math.floor(n * fraction), Math.max(n - 1, 0)));
  let missing = target - held.reduce((a, b) => a + b, 0);
  // Largest remainder first; ties go to the lower class index, so the result is deterministic.
  const order = counts
    .map((n, c) => ({ c, remainder: n * fraction - Math.floor(n * fraction) }))
    .sort((a, b) => b.remainder - a.remainder || a.c - b.c);
  while (missing > 0) {
    let gave = false;
    for (const { c } of order) {
      if (missing === 0) break;
      if (held[c] < counts[c] - 1) {
        held[c]++;
        missing--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return held;
}
