/**
 * Seeded randomness for the dataset code (held-out splits, synthetic data): the same seed gives the
 * same numbers on every machine. Kept separate from the trainer's generator so that data stays free
 * of anything the trainer imports.
 */
import seedrandom from 'seedrandom';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

export function seededRandom(seed: number | string): Random {
  const prng = seedrandom.alea(String(seed));
  return {
    next: () => prng(),
    int: (n) => Math.floor(prng() * n),
    normal: () => {
      const u = 1 - prng(); // in (0, 1], so the log is finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng());
    },
  };
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace(items: Int32Array, random: Random): Int32Array {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
