import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform } from 'node:stream';
import { StorageError } from './errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { ObjectInfo, PutBody, PutOptions, Storage } from './storage.js';

export interface S3Settings {
  bucket: string;
  /** Prepended to every key; "" or ends with "/". */
  prefix: string;
  /** MinIO, s3rver, ...; the AWS endpoint for the region when left out. */
  endpoint?: string;
  region: string;
  /** Left out: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** http://host/bucket/key instead of http://bucket.host/key; needed by MinIO and s3rver. */
  forcePathStyle: boolean;
}

/** Streamed uploads go in parts of this size; at most PART_QUEUE parts are held in memory. */
const PART_SIZE = 8 * 1024 * 1024;
const PART_QUEUE = 2;
const DELETE_BATCH = 1000;

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'InternalError',
  'ServiceUnavailable',
]);
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

export class S3Storage implements Storage {
  readonly description: string;
  private readonly client: S3Client;

  constructor(
    private readonly settings: S3Settings,
    private readonly retry: RetryPolicy,
  ) {
    this.description = `s3://${settings.bucket}/${settings.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`;
    const config: S3ClientConfig = {
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      // Our own retry (withRetry) is the one policy; the SDK's would multiply it.
      maxAttempts: 1,
      // Without these the SDK frames streamed uploads as aws-chunked with trailing checksums,
      // which S3-compatible servers (s3rver, some MinIO versions) store verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    };
    if (settings.accessKeyId && settings.secretAccessKey) {
      config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<ObjectInfo> {
    const objectKey = this.objectKey(key);
    if (body instanceof Readable) return this.putStream(key, objectKey, body, options);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    await this.call(`put ${key}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: objectKey,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: options.contentType,
        }),
      ),
    );
    return { key, size: bytes.byteLength, lastModified: new Date() };
  }

  async get(key: string): Promise<Readable> {
    const objectKey = this.objectKey(key);
    const output = await this.call(`get ${key}`, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: objectKey })),
    );
    return output.Body as Readable;
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const objectKey = this.objectKey(key);
    // Reading the body inside the retry makes a connection dropped mid-body retryable too.
    return this.call(`get ${key}`, async () => {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }));
      return output.Body!.transformToByteArray();
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const objectKey = this.objectKey(key);
    try {
      const output = await this.call(`head ${key}`, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: objectKey })),
      );
      return { key, size: output.ContentLength ?? 0, lastModified: output.LastModified ?? new Date(0) };
    } catch (error) {
      if (error instanceof StorageError && error.code === 'storage_not_found') return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    this.objectKey(key);
    await this.deleteKeys([key]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (let start = 0; start < objects.length; start += DELETE_BATCH) {
      await this.deleteKeys(objects.slice(start, start + DELETE_BATCH).map((object) => object.key));
    }
    return objects.length;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const found: ObjectInfo[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.call(`list ${prefix}`, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: this.settings.prefix + prefix,
            ContinuationToken: continuationToken,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        found.push({
          key: object.Key!.slice(this.settings.prefix.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
        });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async check(): Promise<void> {
    try {
      await this.call(`check bucket ${this.settings.bucket}`, () =>
        this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket })),
      );
    } catch (error) {
      if (error instanceof StorageError && error.code === 'storage_not_found') {
        throw new StorageError('storage_invalid_config', `bucket ${this.settings.bucket} does not exist`, { cause: error });
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.settings.prefix + key;
  }

  private async putStream(key: string, objectKey: string, body: Readable, options: PutOptions): Promise<ObjectInfo> {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    body.on('error', (error) => counter.destroy(error));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: objectKey, Body: body.pipe(counter), ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: PART_QUEUE,
    });
    try {
      await upload.done();
    } catch (error) {
      throw toStorageError(key, error);
    }
    return { key, size, lastModified: new Date() };
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    const output = await this.call(`delete ${keys[0]}${keys.length > 1 ? ` (+${keys.length - 1})` : ''}`, () =>
      this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: { Objects: keys.map((key) => ({ Key: this.settings.prefix + key })), Quiet: true },
        }),
      ),
    );
    const failure = output.Errors?.find((error) => error.Code !== 'NoSuchKey');
    if (failure) {
      throw new StorageError('storage_failed', `delete ${failure.Key} failed: ${failure.Code} ${failure.Message ?? ''}`);
    }
  }

  private call<T>(describe: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(this.retry, describe, async () => {
      try {
        return await operation();
      } catch (error) {
        throw toStorageError(describe, error);
      }
    });
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function toStorageError(describe: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const shape = (error ?? {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const name = shape.name ?? '';
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return new StorageError('storage_not_found', `${describe}: no such object`, { cause: error });
  }
  const transient =
    Boolean(shape.$retryable) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    TRANSIENT_NAMES.has(name) ||
    TRANSIENT_NETWORK_CODES.has(shape.code ?? '');
  const reason = `${name || shape.code || 'error'}${status ? ` (HTTP ${status})` : ''}: ${shape.message ?? String(error)}`;
  return new StorageError('storage_failed', `${describe} failed: ${reason}`, { transient, cause: error });
}
