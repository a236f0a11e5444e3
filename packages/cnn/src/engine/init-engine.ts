import { readCnnEnv } from '../env.js';
import { CnnError } from '../errors.js';
import { ENGINE_CANDIDATES, type EngineCandidate } from './candidates.js';
import type { EngineInfo, EngineLog, InitEngineOptions } from './engine-info.js';
import { installLeanGradients } from './lean-gradients.js';
import { checkTfjsInternals } from './tfjs-internals.js';

let current: EngineInfo | null = null;
/** The engine name the current engine was chosen for (undefined: picked automatically). */
let currentRequest: string | undefined;
let pending: Promise<EngineInfo> | null = null;
/**
 * Why each engine failed to load, kept so it is tried and logged only once per process; keyed by
 * failureKey, since an engine refused when picked automatically (a software WebGPU adapter) may load
 * when forced.
 */
const failures = new Map<string, string>();
const failureKey = (name: string, forced: boolean) => (forced ? `${name} (forced)` : name);

/**
 * Makes the fastest engine that loads tfjs's backend, in ENGINE_CANDIDATES' order. `options.engine`,
 * else the TRAINYARD_ENGINE environment variable, forces one ('cpu', and webgpu on a software
 * adapter, are only ever used when forced). Calling it again with the same request
 * returns the same info; a different forced engine switches to it.
 */
export async function initEngine(options: InitEngineOptions = {}): Promise<EngineInfo> {
  const request = options.engine ?? readCnnEnv().engine;
  while (pending !== null) await pending.catch(() => undefined);
  if (current !== null && (request === undefined || request === current.name || request === currentRequest)) {
    return current;
  }
  pending = select(request, options.log ?? (() => undefined));
  try {
    const selected = await pending;
    // Before anything trains: the members our fast paths and frozen batch norms rely on are there.
    checkTfjsInternals();
    // The backward pass frees each gradient once consumed (the step's memory peaks lower).
    installLeanGradients();
    current = selected;
    currentRequest = request;
    return current;
  } finally {
    pending = null;
  }
}

/** The engine chosen by initEngine; throws when initEngine has not completed yet. */
export function currentEngine(): EngineInfo {
  if (current === null) throw new Error('initEngine() has not been called (or has not finished)');
  return current;
}

async function select(request: string | undefined, log: EngineLog): Promise<EngineInfo> {
  if (request !== undefined) {
    const candidate = ENGINE_CANDIDATES.find((c) => c.name === request);
    if (candidate === undefined) {
      const known = ENGINE_CANDIDATES.map((c) => c.name).join(', ');
      throw new CnnError('engine_unavailable', `unknown engine '${request}'; known engines: ${known}`, {
        engine: request,
      });
    }
    const info = await tryLoad(candidate, [], log, true);
    if (info === null) {
      throw new CnnError('engine_unavailable', `engine '${request}' cannot be loaded: ${failures.get(failureKey(request, true))}`, {
        engine: request,
        reason: failures.get(failureKey(request, true)),
      });
    }
    return info;
  }
  const skipped: EngineInfo['skipped'] = [];
  for (const candidate of ENGINE_CANDIDATES) {
    if (candidate.forcedOnly) continue;
    const info = await tryLoad(candidate, skipped, log, false);
    if (info !== null) return info;
    skipped.push({ engine: candidate.name, reason: failures.get(candidate.name) ?? 'unknown' });
  }
  throw new CnnError('engine_unavailable', 'no training engine could be loaded', { skipped });
}

async function tryLoad(
  candidate: EngineCandidate,
  skipped: EngineInfo['skipped'],
  log: EngineLog,
  forced: boolean,
): Promise<EngineInfo | null> {
  if (failures.has(failureKey(candidate.name, forced))) return null;
  try {
    const loaded = await candidate.load(forced);
    const info: EngineInfo = { name: candidate.name, ...loaded, skipped };
    log('engine selected', { ...info });
    return info;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    failures.set(failureKey(candidate.name, forced), reason);
    log('engine unavailable', { engine: candidate.name, forced, reason });
    return null;
  }
}
