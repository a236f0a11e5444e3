/** The engines the CNN package can train on, fastest first. */
export type EngineName = 'tensorflow-gpu' | 'tensorflow' | 'onednn' | 'wasm' | 'cpu';

export interface EngineInfo {
  name: EngineName;
  /** The tfjs backend the engine runs on ('tensorflow', 'wasm', 'cpu'). */
  backend: string;
  /** Version of the package that provides the backend. */
  version: string;
  /** Threads the engine computes with. */
  threads: number;
  /** Faster engines that could not be loaded here, and why. */
  skipped: Array<{ engine: string; reason: string }>;
}

export type EngineLog = (msg: string, fields?: object) => void;

export interface InitEngineOptions {
  /** Force one engine (overrides TRAINYARD_ENGINE); throws engine_unavailable when it cannot load. */
  engine?: string;
  log?: EngineLog;
}
