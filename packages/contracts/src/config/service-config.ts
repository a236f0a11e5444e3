/**
 * The environment variables read by both services (`commonEnv`). Each process owns its own table next
 * to its code (services/api/src/config.ts, services/worker/src/config.ts, services/cli/src/config.ts,
 * the CNN package's env.ts), built with the same parsers.
 */
import type { EnvVar } from './env-reader.js';
import { boolean, bytes, integer, oneOf, optional, url } from './parsers.js';

/** A row of a configuration table, typed by its parser. */
export function envVar<T>(variable: EnvVar<T>): EnvVar<T> {
  return variable;
}

/** file:///abs/path, file://./relative, a plain path, or s3://bucket[/prefix]. */
function storageUrl(raw: string): string {
  if (raw.startsWith('s3://')) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(raw)) {
      throw new Error('an s3:// URL must name a valid bucket: s3://bucket or s3://bucket/prefix');
    }
    return raw;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !raw.startsWith('file://')) {
    throw new Error('must be file:///path, a plain path, or s3://bucket/prefix');
  }
  return raw;
}

/** Where the services look when DATABASE_URL / REDIS_URL are unset and something listens there. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/trainyard';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const commonEnv = {
  // The workers enforce it; the API names it as the reason a queued job waits (waitingFor).
  maxRunningJobsPerTenant: envVar({
    name: 'MAX_RUNNING_JOBS_PER_TENANT',
    default: '100',
    description:
      'Jobs of one tenant training at once across all workers; below it, a free worker takes the next job of the tenant with the fewest running jobs',
    parse: integer(1, 10_000_000),
  }),
  databaseUrl: envVar({
    name: 'DATABASE_URL',
    description: 'PostgreSQL URL; when unset, `trainyard start` uses 127.0.0.1:5432 or an embedded PostgreSQL under ./data',
    parse: optional(url(['postgres', 'postgresql'])),
  }),
  redisUrl: envVar({
    name: 'REDIS_URL',
    description: 'Redis URL for the queue; when unset, `trainyard start` uses 127.0.0.1:6379 or a private redis-server',
    parse: optional(url(['redis', 'rediss'])),
  }),
  storageUrl: envVar({
    name: 'STORAGE_URL',
    default: './data/storage',
    description: 'Object storage: file:///path (a local folder, created if missing) or s3://bucket/prefix',
    parse: storageUrl,
  }),
  s3Endpoint: envVar({
    name: 'S3_ENDPOINT',
    description: 'S3 endpoint for MinIO or another S3-compatible server (unset: AWS)',
    parse: optional(url(['http', 'https'])),
  }),
  s3ForcePathStyle: envVar({
    name: 'S3_FORCE_PATH_STYLE',
    description: 'Path-style S3 URLs (bucket in the path); default true when S3_ENDPOINT is set, else false',
    parse: optional(boolean),
  }),
  s3Region: envVar({ name: 'S3_REGION', default: 'us-east-1', description: 'S3 region', parse: (raw) => raw }),
  s3AccessKeyId: envVar({
    name: 'S3_ACCESS_KEY_ID',
    description: 'S3 access key (unset: the AWS SDK default credential chain)',
    parse: optional((raw) => raw),
  }),
  s3SecretAccessKey: envVar({
    name: 'S3_SECRET_ACCESS_KEY',
    description: 'S3 secret key (unset: the AWS SDK default credential chain)',
    parse: optional((raw) => raw),
  }),
  queuePrefix: envVar({
    name: 'QUEUE_PREFIX',
    default: 'trainyard',
    description: 'Prefix of every Redis key and pub/sub channel of the queue (lets several deployments share one Redis)',
    parse: (raw) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new Error('must be 1-64 letters, digits, "_", "." or "-"');
      return raw;
    },
  }),
  workerMemoryBytes: envVar({
    name: 'WORKER_MEMORY',
    default: '4gb',
    description:
      'Memory one training job may use: submissions estimated to need more answer 422 model_too_large, and a training process that goes beyond it is killed and its job fails with out_of_memory',
    parse: bytes(1024 ** 2, 1024 ** 5),
  }),
  // Image decoding costs CPU by the pixel, whatever the upload's size: both are read from the headers
  // before anything is decoded, by the API (upload, samples, predictions) and the worker (training).
  maxImagePixels: envVar({
    name: 'MAX_IMAGE_PIXELS',
    default: '16777216',
    description:
      'Largest width x height of one image in a dataset or prediction (read from its header, before decoding); larger ones answer 413 image_pixels_limit',
    parse: integer(1, 1_000_000_000),
  }),
  maxArchivePixels: envVar({
    name: 'MAX_ARCHIVE_PIXELS',
    default: '2000000000',
    description:
      'Largest width x height of all images of one dataset archive together (summed from their headers before any is decoded); more answer 413 archive_pixels_limit',
    parse: integer(1, Number.MAX_SAFE_INTEGER),
  }),
  logLevel: envVar({
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'pino log level',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  }),
};
