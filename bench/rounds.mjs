/**
 * Alternating rounds for benchmarks that compare two sides on a shared machine: each round runs every
 * side once, in an order that alternates from round to round; a round that starts with the 1-minute
 * load average above `maxLoad` is discarded and run again (after waiting up to `settleSeconds` for
 * the load to fall). The verdict is the median of the kept rounds. `context()` records what was
 * measured: the commit (and whether the tree had uncommitted changes), the machine and the rule.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The commit measured, with a dirty flag, and the machine. */
export function benchContext(extra = {}) {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--untracked-files=no');
  return {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short=12', 'HEAD'),
    dirty: status === null ? null : status.length > 0,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    ...extra,
  };
}

export const load1 = () => +loadavg()[0].toFixed(2);

/** Waits until the 1-minute load average is at most `maxLoad`, or `settleSeconds` passed; returns the load then. */
export async function waitForLoad(maxLoad, settleSeconds, log = () => {}) {
  const deadline = Date.now() + settleSeconds * 1000;
  let said = false;
  while (load1() > maxLoad && Date.now() < deadline) {
    if (!said) log(`load ${load1()} > ${maxLoad}: waiting up to ${settleSeconds} s`);
    said = true;
    await sleep(2000);
  }
  return load1();
}

/**
 * Runs `rounds` kept rounds of `sides` ({ name: async () => result }). Returns { kept, discarded },
 * each round { round, attempt, order, loadAtStart, loadAtEnd, results: { name: result } }.
 * `afterRound(round, discarded)`, when given, sees each round as soon as it ends (a long benchmark
 * records it then, so that an interrupted run keeps its finished rounds).
 */
export async function alternatingRounds({
  sides,
  rounds,
  maxLoad,
  settleSeconds,
  maxAttempts = rounds * 3,
  log = () => {},
  between,
  afterRound,
}) {
  const names = Object.keys(sides);
  const kept = [];
  const discarded = [];
  for (let attempt = 0; kept.length < rounds && attempt < maxAttempts; attempt++) {
    const order = attempt % 2 === 0 ? names : [...names].reverse();
    const loadAtStart = await waitForLoad(maxLoad, settleSeconds, log);
    const results = {};
    for (const name of order) {
      if (between) await between(name);
      results[name] = await sides[name]();
    }
    const round = { round: kept.length + 1, attempt: attempt + 1, order, loadAtStart, loadAtEnd: load1(), results };
    if (loadAtStart > maxLoad) {
      log(`round discarded: it started at load ${loadAtStart} > ${maxLoad}`);
      discarded.push(round);
    } else {
      kept.push(round);
    }
    log(`round ${attempt + 1}: ${JSON.stringify({ loadAtStart, loadAtEnd: round.loadAtEnd })}`);
    if (afterRound) await afterRound(round, loadAtStart > maxLoad);
  }
  return { kept, discarded };
}

export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** PyTorch's side of the comparisons (TORCH_REFERENCE overrides it). */
export const TORCH_REFERENCE = process.env.TORCH_REFERENCE ?? resolve(root, 'bench/torch_reference.py');

/**
 * Runs one side of a comparison in its own process and returns its last stdout line (JSON), with
 * peakMiB: that process's maximum resident set size as GNU time reads it from the kernel (wait4's
 * ru_maxrss), the one measure used for every side (a side's self-reported peakMiB is replaced by it),
 * and processSeconds: the process's wall-clock, start-up included.
 */
export function runSide(command, args, env = {}) {
  if (!existsSync('/usr/bin/time')) throw new Error("/usr/bin/time (GNU time) measures every side's peak memory: apt-get install time");
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', 'peakKiB=%M', command, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  const processSeconds = +((performance.now() - started) / 1000).toFixed(2);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const lines = result.stdout.trim().split('\n');
  const peak = /peakKiB=(\d+)/.exec(result.stderr);
  if (!peak) throw new Error(`/usr/bin/time printed no peak for ${command}`);
  return { ...JSON.parse(lines[lines.length - 1]), peakMiB: Math.round(Number(peak[1]) / 1024), processSeconds };
}
