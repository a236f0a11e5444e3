/**
 * Seeded randomness whose state can be saved in a checkpoint and restored, so that a resumed run draws
 * exactly the numbers the uninterrupted run would have drawn.
 *
 * Two generators are involved:
 * - our own (Alea), for shuffling, augmentation and the validation split;
 * - Math.random, which TensorFlow.js uses to seed weight initialisers and dropout masks when no seed
 *   is given. We replace it process-wide with a seeded ARC4 generator (seedrandom's `global` mode).
 */
import seedrandom from 'seedrandom';

/** Serialisable state of a generator (plain JSON). */
export type RandomState = Record<string, unknown>;

export class SeededRandom {
  private readonly prng: seedrandom.prng;

  private constructor(prng: seedrandom.prng) {
    this.prng = prng;
  }

  static fromSeed(seed: number | string): SeededRandom {
    return new SeededRandom(seedrandom.alea(String(seed), { state: true }));
  }

  static fromState(state: RandomState): SeededRandom {
    return new SeededRandom(seedrandom.alea('', { state }));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  state(): RandomState {
    return this.prng.state() as RandomState;
  }
}

/** Fisher-Yates shuffle of a copy of `items`. */
export function shuffled(items: ArrayLike<number>, random: SeededRandom): Int32Array {
  const out = Int32Array.from(items);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Replaces Math.random with a generator seeded by `seed` (TensorFlow.js initialisers and dropout use it). */
export function seedGlobalRandom(seed: number | string): void {
  seedrandom(`trainyard-global-${seed}`, { global: true, state: true });
}

/** The state of the seeded Math.random, or null when Math.random is not one of ours. */
export function globalRandomState(): RandomState | null {
  const random = Math.random as unknown as { state?: () => RandomState };
  return typeof random.state === 'function' ? random.state() : null;
}

export function restoreGlobalRandom(state: RandomState): void {
  seedrandom('', { global: true, state });
}
