import type { Readable } from 'node:stream';

/** What `put` accepts: bytes are retried on transient errors, a stream can only be sent once. */
export type PutBody = Uint8Array | string | Readable;

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
}

/**
 * Object storage as the services see it: flat keys ("jobs/<id>/model/model.json"), whole objects
 * written atomically (a reader sees the old object or the new one, never half of one).
 * Keys are validated by `assertValidKey`; a key can never reach outside the store.
 */
export interface Storage {
  /** A description safe to log (no credentials). */
  readonly description: string;
  put(key: string, body: PutBody, options?: PutOptions): Promise<ObjectInfo>;
  /** The object as a stream; throws StorageError `not_found` when it does not exist. */
  get(key: string): Promise<Readable>;
  /** The whole object in memory; for small objects (checkpoints, manifests). */
  getBytes(key: string): Promise<Uint8Array>;
  /** The object's size and date, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  exists(key: string): Promise<boolean>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Throws unless the store can be reached (readiness checks). */
  check(): Promise<void>;
  close(): Promise<void>;
}
