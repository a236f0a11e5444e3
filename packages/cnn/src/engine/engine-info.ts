/** The engines the CNN package can train on, fastest first. */
export type EngineName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'onednn' | 'wasm' | 'cpu';

/**
 * What an engine computes on. `kind` is where the arithmetic really runs: a software WebGPU adapter
 * (Mesa's llvmpipe) is a `cpu` device even though it speaks the GPU API.
 */
export interface EngineDevice {
  kind: 'gpu' | 'cpu';
  /** The GPU adapter's vendor and description, the CUDA device, or the CPU model. */
  name: string;
}

export interface EngineInfo {
  name: EngineName;
  /** The tfjs backend the engine runs on ('tensorflow', 'wasm', 'cpu'). */
  backend: string;
  /** Version of the package that provides the backend. */
  version: string;
  /** Threads the engine computes with. */
  threads: number;
  device: EngineDevice;
  /** Faster engines that could not be loaded here, and why. */
  skipped: Array<{ engine: string; reason: string }>;
}

export type EngineLog = (msg: string, fields?: object) => void;

export interface InitEngineOptions {
  /** Force one engine (overrides TRAINYARD_ENGINE); throws engine_unavailable when it cannot load. */
  engine?: string;
  log?: EngineLog;
}
