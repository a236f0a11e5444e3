/**
 * Messages between the API's predictor pool and its inference processes (predictor-child.ts), over
 * Node's IPC channel with the structured-clone serialization, so image bytes travel as bytes.
 */
import type { ErrorCode, PredictionView } from '@trainyard/contracts';

/** What the child needs to find, load and describe a model; `key` names it in the child's cache. */
export interface ModelRef {
  key: string;
  storagePrefix: string;
  /** model.json and the weight shards, relative to storagePrefix, with their sizes. */
  files: Array<{ path: string; bytes: number }>;
  inputShape: [number, number, number];
  classNames: string[];
}

export type PredictInputs =
  | { kind: 'images'; images: Array<{ name: string; bytes: Uint8Array }> }
  /** The request body as sent: parsed and checked in the child, off the API's event loop. */
  | { kind: 'json'; body: Uint8Array };

/** Fixed for the child's life; passed as its one argument (JSON). */
export interface ChildOptions {
  storageUrl: string;
  /** S3_* variables for the storage client. */
  storageEnv: Record<string, string>;
  cacheBytes: number;
  maxImages: number;
  /** MAX_IMAGE_PIXELS: each image's header is checked against it before decoding. */
  maxImagePixels: number;
}

export type ToChild = { type: 'predict'; id: number; model: ModelRef; inputs: PredictInputs; top: number };

export interface ChildError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type FromChild =
  | { type: 'ready'; engine: string }
  | {
      type: 'result';
      id: number;
      predictions: PredictionView[];
      /** Whether the model was already loaded (hit) or was loaded for this request (miss). */
      cache: 'hit' | 'miss';
      /** Keys of every model loaded in the child after this request, least recently used first. */
      loaded: string[];
      evicted: string[];
    }
  | { type: 'error'; id: number; error: ChildError; loaded: string[] };
