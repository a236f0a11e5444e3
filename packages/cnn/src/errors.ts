/**
 * Every error the CNN package raises on purpose carries a stable code, so that callers (the CLI, the
 * worker, the API) can map it to a user-facing answer without parsing messages.
 */
export const CNN_ERROR_CODES = {
  unknown_architecture: 'The architecture name is not in the catalog.',
  invalid_option: 'A model, training or dataset option is out of range or of the wrong type.',
  input_too_small: 'The input is smaller than the architecture accepts.',
  dataset_malformed: 'A dataset file is truncated, inconsistent or not in the claimed format.',
  dataset_unsafe_path: 'An archive entry would escape its folder (absolute path, "..", or a link).',
  dataset_unsupported: 'The dataset format or image type is not supported.',
  dataset_unavailable: 'A built-in dataset is not installed on this machine (or its directory setting is wrong).',
  dataset_too_large: 'A dataset exceeds a size limit (archive entries, uncompressed bytes, image pixels or memory).',
  checkpoint_invalid: 'Checkpoint bytes are corrupt or belong to a different model or configuration.',
  engine_unavailable: 'The requested TensorFlow.js engine cannot be loaded here.',
  out_of_memory: "The engine ran out of memory (the wasm engine's heap is capped at 4 GiB): use a smaller batch, input or model.",
  aborted: 'Training was stopped by its AbortSignal.',
} as const;

export type CnnErrorCode = keyof typeof CNN_ERROR_CODES;

export class CnnError extends Error {
  readonly code: CnnErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: CnnErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CnnError';
    this.code = code;
    this.details = details;
  }
}

export function isCnnError(error: unknown, code?: CnnErrorCode): error is CnnError {
  return error instanceof CnnError && (code === undefined || error.code === code);
}
