/**
 * Hyperparameter sweeps as pure rules, free of HTTP and storage: the search space, the trials each
 * searcher plans (grid, seeded random, ASHA), where they write into a job spec, ASHA's rungs and its
 * stopping rule. The API plans and validates with them; the database applies the ASHA rule inside the
 * transaction that records each decision.
 *
 * ASHA here is the stopping variant: every trial is planned with `epochs = maxEpochs`; at each rung
 * (gracePeriod * reductionFactor^k epochs, below maxEpochs) a trial continues only if its metric ranks
 * in the top 1/reductionFactor of the trials that have reached that rung so far, itself included:
 * rank <= max(1, floor(n / reductionFactor)), rank 1 being the best and ties ranking alike. The
 * max(1, ...) lets the best trial so far continue while fewer than reductionFactor trials have
 * reached the rung (as Determined's ASHA does), instead of stopping every early arrival.
 */
import type { JobSpec } from './job-spec.js';

/** Per-epoch metrics a sweep can optimise (the names of GET /v1/jobs/{id}/metrics). */
export const SWEEP_METRICS = ['validationAccuracy', 'validationLoss', 'trainAccuracy', 'trainLoss'] as const;
export type SweepMetric = (typeof SWEEP_METRICS)[number];

export const SWEEP_GOALS = ['maximize', 'minimize'] as const;
export type SweepGoal = (typeof SWEEP_GOALS)[number];

/** The most trials one sweep may plan (a grid's product included). */
export const MAX_SWEEP_TRIALS = 1000;
export const DEFAULT_REDUCTION_FACTOR = 3;
export const DEFAULT_GRACE_PERIOD = 1;

export type ChoiceValue = string | number | boolean;

export type SpaceParameter =
  | { type: 'choice'; values: ChoiceValue[] }
  | { type: 'uniform'; min: number; max: number }
  | { type: 'logUniform'; min: number; max: number }
  | { type: 'int'; min: number; max: number };

/** Dotted paths into the job spec ("hyperparameters.learningRate") to what they range over. */
export type SweepSpace = Record<string, SpaceParameter>;

export type SearcherSpec =
  | { type: 'grid' }
  | { type: 'random'; trials: number; seed?: number }
  | { type: 'asha'; trials: number; seed?: number; maxEpochs: number; reductionFactor?: number; gracePeriod?: number };

export type ResolvedSearcher =
  | { type: 'grid' }
  | { type: 'random'; trials: number; seed: number }
  | { type: 'asha'; trials: number; seed: number; maxEpochs: number; reductionFactor: number; gracePeriod: number };

/** One trial's values, by dotted path. */
export type TrialAssignment = Record<string, ChoiceValue>;

/** A metric whose name says loss is minimised, anything else maximised. */
export function defaultGoal(metric: SweepMetric): SweepGoal {
  return metric.endsWith('Loss') ? 'minimize' : 'maximize';
}

export function resolveSearcher(searcher: SearcherSpec): ResolvedSearcher {
  switch (searcher.type) {
    case 'grid':
      return { type: 'grid' };
    case 'random':
      return { type: 'random', trials: searcher.trials, seed: searcher.seed ?? 0 };
    case 'asha':
      return {
        type: 'asha',
        trials: searcher.trials,
        seed: searcher.seed ?? 0,
        maxEpochs: searcher.maxEpochs,
        reductionFactor: searcher.reductionFactor ?? DEFAULT_REDUCTION_FACTOR,
        gracePeriod: searcher.gracePeriod ?? DEFAULT_GRACE_PERIOD,
      };
  }
}

const PATH_SEGMENT = /^[A-Za-z][A-Za-z0-9]*$/;
/** Segments that would reach an object's prototype rather than a field of the spec. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What is wrong with a space for a searcher, as sentences; empty when it can be planned. The job
 * spec's own schema then checks each planned trial (an unknown path or a value of the wrong type).
 */
export function spaceProblems(space: SweepSpace, searcher: ResolvedSearcher): string[] {
  const problems: string[] = [];
  const paths = Object.keys(space);
  if (paths.length === 0) problems.push('the space names no parameter');
  for (const path of paths) {
    const parameter = space[path]!;
    const segments = path.split('.');
    if (segments.some((segment) => !PATH_SEGMENT.test(segment) || FORBIDDEN_SEGMENTS.has(segment))) {
      problems.push(`"${path}" is not a dotted path of field names (such as hyperparameters.learningRate)`);
    }
    if (paths.some((other) => other !== path && other.startsWith(`${path}.`))) {
      problems.push(`"${path}" contains another parameter of the space`);
    }
    if (searcher.type === 'grid' && parameter.type !== 'choice') {
      problems.push(`"${path}": the grid searcher takes choice parameters only, not ${parameter.type}`);
    }
    if (searcher.type === 'asha' && path === 'hyperparameters.epochs') {
      problems.push('"hyperparameters.epochs": ASHA runs every trial for maxEpochs epochs; leave epochs out of the space');
    }
    if (parameter.type !== 'choice') {
      if (!(parameter.min <= parameter.max)) problems.push(`"${path}": min ${parameter.min} is above max ${parameter.max}`);
      if (parameter.type === 'logUniform' && !(parameter.min > 0)) problems.push(`"${path}": logUniform needs min > 0`);
      if (parameter.type === 'int' && !(Number.isInteger(parameter.min) && Number.isInteger(parameter.max))) {
        problems.push(`"${path}": int needs integer min and max`);
      }
    }
  }
  const planned = plannedTrialCount(space, searcher);
  if (planned > MAX_SWEEP_TRIALS) problems.push(`the sweep plans ${planned} trials; at most ${MAX_SWEEP_TRIALS} are allowed`);
  if (searcher.type === 'asha' && searcher.gracePeriod > searcher.maxEpochs) {
    problems.push(`gracePeriod ${searcher.gracePeriod} is above maxEpochs ${searcher.maxEpochs}`);
  }
  return problems;
}

/** How many trials the searcher plans: the grid's product, or `trials`. */
export function plannedTrialCount(space: SweepSpace, searcher: ResolvedSearcher): number {
  if (searcher.type !== 'grid') return searcher.trials;
  return Object.values(space).reduce((product, parameter) => product * (parameter.type === 'choice' ? parameter.values.length : 1), 1);
}

/**
 * Every trial's values, in trial order. Grid: the product of the choices, paths in sorted order, the
 * last path varying fastest. Random and ASHA: drawn from one stream seeded by `seed`, each trial
 * drawing the sorted paths in turn, so the same request always plans the same trials.
 */
export function planTrials(space: SweepSpace, searcher: ResolvedSearcher): TrialAssignment[] {
  const paths = Object.keys(space).sort();
  if (searcher.type === 'grid') {
    let trials: TrialAssignment[] = [{}];
    for (const path of paths) {
      const parameter = space[path]!;
      const values = parameter.type === 'choice' ? parameter.values : [];
      trials = trials.flatMap((trial) => values.map((value) => ({ ...trial, [path]: value })));
    }
    return trials;
  }
  const random = new SweepRandom(searcher.seed);
  return Array.from({ length: searcher.trials }, () => {
    const trial: TrialAssignment = {};
    for (const path of paths) trial[path] = sample(space[path]!, random.next());
    return trial;
  });
}

function sample(parameter: SpaceParameter, u: number): ChoiceValue {
  switch (parameter.type) {
    case 'choice':
      return parameter.values[Math.min(parameter.values.length - 1, Math.floor(u * parameter.values.length))]!;
    case 'uniform':
      return parameter.min + u * (parameter.max - parameter.min);
    case 'logUniform':
      return Math.exp(Math.log(parameter.min) + u * (Math.log(parameter.max) - Math.log(parameter.min)));
    case 'int':
      return Math.min(parameter.max, parameter.min + Math.floor(u * (parameter.max - parameter.min + 1)));
  }
}

/**
 * A small counter-based generator (a 32-bit counter stepped by the golden ratio, then mixed): the
 * same seed gives the same numbers on every platform, unlike Math.random.
 */
class SweepRandom {
  private counter: number;

  constructor(seed: number) {
    this.counter = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.counter = (this.counter + 0x9e3779b9) >>> 0;
    let z = this.counter;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 2 ** 32;
  }
}

/**
 * The trial's job spec: the base with each path set to its value (objects on the way are created),
 * and for ASHA `hyperparameters.epochs` set to maxEpochs. The base is not changed.
 */
export function trialSpec(base: JobSpec, assignment: TrialAssignment, searcher: ResolvedSearcher): JobSpec {
  const spec = structuredClone(base) as unknown as Record<string, unknown>;
  const values: TrialAssignment = { ...assignment };
  if (searcher.type === 'asha') values['hyperparameters.epochs'] = searcher.maxEpochs;
  for (const [path, value] of Object.entries(values)) {
    const segments = path.split('.');
    let target = spec;
    for (const segment of segments.slice(0, -1)) {
      const next = target[segment];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) target[segment] = {};
      target = target[segment] as Record<string, unknown>;
    }
    target[segments.at(-1)!] = value;
  }
  return spec as unknown as JobSpec;
}

/** ASHA's rungs, in epochs: gracePeriod * reductionFactor^k below maxEpochs (the last epoch ends the trial anyway). */
export function ashaRungs(searcher: ResolvedSearcher): number[] {
  if (searcher.type !== 'asha') return [];
  const rungs: number[] = [];
  for (let rung = searcher.gracePeriod; rung < searcher.maxEpochs; rung *= searcher.reductionFactor) rungs.push(rung);
  return rungs;
}

/** Whether `a` is strictly better than `b` under the goal. */
export function isBetter(a: number, b: number, goal: SweepGoal): boolean {
  return goal === 'maximize' ? a > b : a < b;
}

/**
 * ASHA's rule at one rung (see the file comment): whether a trial with `metric` continues, given the
 * metrics of the trials that reached the rung before it.
 */
export function ashaContinues(metric: number, competitors: readonly number[], goal: SweepGoal, reductionFactor: number): boolean {
  const reached = competitors.length + 1;
  const rank = 1 + competitors.filter((other) => isBetter(other, metric, goal)).length;
  return rank <= Math.max(1, Math.floor(reached / reductionFactor));
}
