import os from 'node:os';
import type { EngineDevice } from './engine-info.js';

/** The device of an engine that computes on this machine's processor: its model name. */
export function cpuDevice(): EngineDevice {
  const model = os.cpus()[0]?.model.trim();
  return { kind: 'cpu', name: model || `${os.arch()} processor` };
}
