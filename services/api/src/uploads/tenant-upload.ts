/**
 * What every upload (a dataset, pretrained weights) goes through, in one place: the tenant's
 * storage quota (TENANT_STORAGE_QUOTA) checked before a byte is read, one of the tenant's upload
 * slots (MAX_CONCURRENT_UPLOADS_PER_TENANT), a private scratch folder removed afterwards, and the
 * multipart stream read with an idle timeout (UPLOAD_IDLE_TIMEOUT_SECONDS), each file part streamed
 * to disk and counted against UPLOAD_LIMIT or what is left of the quota, whichever is smaller.
 * The repositories check the quota again, atomically, when the upload's row is written.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import { ApiError } from '@trainyard/contracts';
import { createScratchDir } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { checkStorageQuota, storageQuotaError } from '../http/tenant-limit-errors.js';
import { TenantSlots } from '../tenant-slots.js';

export interface UploadLimits {
  /** Bytes of all files together. */
  maxBytes: number;
  /** The error for an upload past maxBytes (UPLOAD_LIMIT, or what is left of TENANT_STORAGE_QUOTA). */
  tooLarge: () => ApiError;
  /** The upload is refused when no byte arrives for this long (UPLOAD_IDLE_TIMEOUT_SECONDS). */
  idleTimeoutMs: number;
}

export interface UploadScratch {
  /** A private folder for the received files, removed when the upload ends. */
  dir: string;
  limits: UploadLimits;
}

/** Uploads in progress per tenant in this process (MAX_CONCURRENT_UPLOADS_PER_TENANT), per API. */
const uploadSlots = new WeakMap<ApiDeps['config'], TenantSlots>();

/**
 * Runs `work` as one upload of `tenantId`: refused at once when the tenant's storage is full or it
 * already sends MAX_CONCURRENT_UPLOADS_PER_TENANT uploads; `scratch.limits` bound what it may receive.
 */
export async function asTenantUpload<T>(
  deps: Pick<ApiDeps, 'db' | 'config'>,
  tenantId: string,
  scratchName: string,
  work: (scratch: UploadScratch) => Promise<T>,
): Promise<T> {
  const { config } = deps;
  const freeBytes = await checkStorageQuota(deps, tenantId);
  let slots = uploadSlots.get(config);
  if (!slots) {
    slots = new TenantSlots(
      config.maxConcurrentUploadsPerTenant,
      (limit) =>
        new ApiError(
          'concurrent_uploads_limit',
          `The tenant already sends ${limit} uploads; the limit is ${limit} (MAX_CONCURRENT_UPLOADS_PER_TENANT). Retry when one has finished.`,
          { limit, variable: 'MAX_CONCURRENT_UPLOADS_PER_TENANT', retryAfterSeconds: 5 },
        ),
    );
    uploadSlots.set(config, slots);
  }
  const release = slots.take(tenantId);
  try {
    const dir = await createScratchDir(config.uploadTmpDir ?? tmpdir(), scratchName);
    try {
      const quotaFirst = freeBytes < config.uploadLimitBytes;
      const limits: UploadLimits = {
        maxBytes: Math.min(freeBytes, config.uploadLimitBytes),
        tooLarge: () =>
          quotaFirst
            ? storageQuotaError(config.tenantStorageQuotaBytes - freeBytes, config.tenantStorageQuotaBytes, freeBytes + 1)
            : new ApiError('upload_too_large', `The upload is larger than ${config.uploadLimitBytes} bytes (UPLOAD_LIMIT).`, {
                limit: config.uploadLimitBytes,
                variable: 'UPLOAD_LIMIT',
              }),
        idleTimeoutMs: config.uploadIdleTimeoutSeconds * 1000,
      };
      return await work({ dir, limits });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    release();
  }
}

/**
 * Rejects `expired` once `touch` has not been called for `ms`. A client that opens an upload and then
 * sends nothing would otherwise hold its upload slot, a socket and a temporary file for as long as
 * the connection lives.
 */
class IdleTimeout {
  readonly expired: Promise<never>;
  private timer: NodeJS.Timeout | null = null;
  private fire: () => void = () => {};

  constructor(private readonly ms: number) {
    this.expired = new Promise<never>((_resolve, reject) => {
      this.fire = () =>
        reject(
          new ApiError('upload_timeout', `The upload sent nothing for ${ms / 1000} s (UPLOAD_IDLE_TIMEOUT_SECONDS).`, {
            limit: ms / 1000,
            variable: 'UPLOAD_IDLE_TIMEOUT_SECONDS',
          }),
        );
    });
    this.expired.catch(() => {});
    this.touch();
  }

  readonly touch = (): void => {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.fire(), this.ms);
  };

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Streams one file part to a new private file at `path`; resolves with its bytes. */
export type SaveFilePart = (part: MultipartFile, path: string) => Promise<number>;

/**
 * Reads a multipart request part by part, under the idle timeout: `onPart` gets each field or file
 * part, and `save` to stream a file part to disk, counted with every other file of the request
 * against `limits.maxBytes`. `what` names the upload in the 415 answer ("a dataset").
 */
export async function receiveMultipart(
  request: FastifyRequest,
  limits: UploadLimits,
  what: string,
  onPart: (part: Multipart, save: SaveFilePart) => Promise<void>,
): Promise<void> {
  if (!request.isMultipart()) throw new ApiError('unsupported_media_type', `Upload ${what} as multipart/form-data.`);
  const idle = new IdleTimeout(limits.idleTimeoutMs);
  request.raw.on('data', idle.touch);
  let total = 0;
  const save: SaveFilePart = async (part, path) => {
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(total + bytes > limits.maxBytes ? limits.tooLarge() : null, chunk);
      },
    });
    try {
      const written = pipeline(part.file, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      await Promise.race([written, idle.expired.catch((error: unknown) => (part.file.destroy(), Promise.reject(error)))]);
    } catch (error) {
      // The multipart plugin's own per-file limit is UPLOAD_LIMIT.
      if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw limits.tooLarge();
      throw error;
    }
    if (part.file.truncated) throw limits.tooLarge();
    total += bytes;
    return bytes;
  };
  try {
    const parts = request.parts()[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([parts.next(), idle.expired]);
      if (next.done) break;
      await onPart(next.value, save);
    }
  } finally {
    idle.clear();
    request.raw.off('data', idle.touch);
  }
}
