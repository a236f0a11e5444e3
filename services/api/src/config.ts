/**
 * The API's configuration: the variables shared with the worker (contracts' commonEnv) plus the
 * API's own table, here next to the code that reads it.
 */
import { commonEnv, envVar, parsers, readEnv, type EnvValues } from '@trainyard/contracts';

const { boolean, bytes, integer, list, optional } = parsers;

export const apiEnv = {
  port: envVar({ name: 'PORT', default: '3000', description: 'HTTP port of the API', parse: integer(0, 65535) }),
  metricsPort: envVar({
    name: 'METRICS_PORT',
    description: 'Serve GET /metrics on this port (on HOST) instead of PORT, e.g. one only the internal network reaches; unset: on PORT',
    parse: optional(integer(0, 65535)),
  }),
  apiProcesses: envVar({
    name: 'API_PROCESSES',
    default: '1',
    description: 'HTTP processes of the API on one port (node:cluster); 0 means one per CPU core',
    parse: integer(0, 256),
  }),
  adminToken: envVar({
    name: 'ADMIN_TOKEN',
    description:
      'Enables /admin/v1 (tenants; create, list and revoke API keys) for "Authorization: Bearer <ADMIN_TOKEN>"; at least 32 characters. Unset: no /admin/v1',
    parse: optional((raw: string) => {
      if (raw.length < 32) throw new Error('must be at least 32 characters (for example: openssl rand -base64 32)');
      return raw;
    }),
  }),
  host: envVar({ name: 'HOST', default: '0.0.0.0', description: 'Address the API listens on', parse: (raw) => raw }),
  corsOrigins: envVar({
    name: 'CORS_ORIGINS',
    default: '',
    description: 'Comma-separated origins allowed by CORS; "*" allows any; empty disables CORS',
    parse: list,
  }),
  trustProxy: envVar({
    name: 'TRUST_PROXY',
    default: 'false',
    description: 'Trust X-Forwarded-* headers (behind a reverse proxy)',
    parse: boolean,
  }),
  bodyLimitBytes: envVar({
    name: 'BODY_LIMIT',
    default: '1mb',
    description: 'Largest JSON request body',
    parse: bytes(1024, 1024 ** 3),
  }),
  uploadLimitBytes: envVar({
    name: 'UPLOAD_LIMIT',
    default: '2gb',
    description: 'Largest dataset upload (all files of one request together)',
    parse: bytes(1024, 1024 ** 4),
  }),
  uploadTmpDir: envVar({
    name: 'UPLOAD_TMP_DIR',
    description:
      'Folder where uploads are validated before they go to storage (needs room for UPLOAD_LIMIT); default the system temp folder',
    parse: optional((raw) => raw),
  }),
  uploadIdleTimeoutSeconds: envVar({
    name: 'UPLOAD_IDLE_TIMEOUT_SECONDS',
    default: '60',
    description:
      'An upload that sends no bytes for this long is answered 408 upload_timeout and its connection closed; the connection of a request answered before its body was read (a 413) closes too if the rest of the body stalls this long',
    parse: integer(1, 86_400),
  }),
  requestTimeoutSeconds: envVar({
    name: 'REQUEST_TIMEOUT_SECONDS',
    default: '3600',
    description: 'Longest time to receive one whole request (an upload of UPLOAD_LIMIT included); the connection is then closed',
    parse: integer(1, 86_400),
  }),
  authCacheSeconds: envVar({
    name: 'AUTH_CACHE_SECONDS',
    default: '5',
    description: 'How long the API remembers an accepted key; a revoked key stops working within this time (0: check every request)',
    parse: integer(0, 3600),
  }),
  rateLimitPerMinute: envVar({
    name: 'RATE_LIMIT_PER_MINUTE',
    default: '600',
    description:
      'Requests per minute per API key, counted by each API process and handed out evenly (a token bucket refilled at this rate / 60 a second); 0 disables',
    parse: integer(0, 10_000_000),
  }),
  rateLimitBurst: envVar({
    name: 'RATE_LIMIT_BURST',
    default: '100',
    description:
      'Requests an API key may send at once after a pause: what its RATE_LIMIT_PER_MINUTE bucket holds when full (at most RATE_LIMIT_PER_MINUTE)',
    parse: integer(1, 10_000_000),
  }),
  authFailuresPerMinute: envVar({
    name: 'AUTH_FAILURES_PER_MINUTE',
    default: '30',
    description:
      'Requests a minute with an unknown or revoked key from one client address, counted by each API process; beyond it 429 auth_failures_limit without a database query; 0 disables',
    parse: integer(0, 10_000_000),
  }),
  overLimitDelayMs: envVar({
    name: 'OVER_LIMIT_DELAY_MS',
    default: '1000',
    description:
      'A refusal for RATE_LIMIT_PER_MINUTE (rate_limited) or AUTH_FAILURES_PER_MINUTE (auth_failures_limit) is answered after this many milliseconds, so a client retrying in a loop sends one request a connection per delay; at most 10,000 wait at once; 0 answers at once',
    parse: integer(0, 60_000),
  }),
  jobRetentionDays: envVar({
    name: 'JOB_RETENTION_DAYS',
    description:
      'Finished jobs older than this many days are deleted with their metrics, checkpoints and model, as DELETE /v1/jobs/{id} does (unset: kept for ever)',
    parse: optional(integer(1, 100_000)),
  }),
  maxQueuedJobsPerTenant: envVar({
    name: 'MAX_QUEUED_JOBS_PER_TENANT',
    default: '1000',
    description: 'Queued jobs a tenant may have at once; more submissions answer 429 queued_jobs_limit',
    parse: integer(1, 10_000_000),
  }),
  maxDatasetsPerTenant: envVar({
    name: 'MAX_DATASETS_PER_TENANT',
    default: '1000',
    description: 'Datasets a tenant may keep; more uploads answer 429 datasets_limit',
    parse: integer(1, 10_000_000),
  }),
  maxConcurrentUploadsPerTenant: envVar({
    name: 'MAX_CONCURRENT_UPLOADS_PER_TENANT',
    default: '2',
    description: 'Uploads (datasets and weights) one tenant may send at once to one API process; more answer 429 concurrent_uploads_limit',
    parse: integer(1, 10_000),
  }),
  tenantStorageQuotaBytes: envVar({
    name: 'TENANT_STORAGE_QUOTA',
    default: '50gb',
    description:
      'Bytes a tenant may keep in storage: datasets, weights, checkpoints and models; an upload or job beyond it answers 413 storage_quota_exceeded',
    parse: bytes(1024, 1024 ** 5),
  }),
  maxClasses: envVar({
    name: 'MAX_CLASSES',
    default: '1000',
    description: 'Most classes a dataset may have; an upload with more answers 422 classes_limit',
    parse: integer(2, 1_000_000),
  }),
  maxConcurrentRequestsPerTenant: envVar({
    name: 'MAX_CONCURRENT_REQUESTS_PER_TENANT',
    default: '8',
    description:
      'Requests of one tenant an API process works on at once (an event stream counts while it opens; uploads and predictions have their own limits); the rest wait their turn in order, and past 100 waiting answer 429 concurrent_requests_limit; 0 disables',
    parse: integer(0, 100_000),
  }),
  maxEventStreamsPerTenant: envVar({
    name: 'MAX_EVENT_STREAMS_PER_TENANT',
    default: '20',
    description:
      'Event streams (GET /v1/jobs/{id}/events, and /logs?follow=true) one tenant may hold open on one API process; more answer 429 event_streams_limit',
    parse: integer(1, 100_000),
  }),
  maxWebhooksPerTenant: envVar({
    name: 'MAX_WEBHOOKS_PER_TENANT',
    default: '20',
    description: 'Webhooks a tenant may register; more answer 429 webhooks_limit',
    parse: integer(1, 10_000),
  }),
  webhookAllowPrivate: envVar({
    name: 'WEBHOOK_ALLOW_PRIVATE',
    default: 'false',
    description:
      'Let webhooks reach loopback, private, link-local, CGNAT and other non-public addresses (a receiver on the same host or network); false refuses them at registration and at each delivery',
    parse: boolean,
  }),
  webhookDnsServers: envVar({
    name: 'WEBHOOK_DNS_SERVERS',
    default: '',
    description:
      "Comma-separated DNS servers (address or address:port) that resolve webhook hosts; empty: the system's resolver (getaddrinfo, /etc/hosts included)",
    parse: list,
  }),
  webhookRetryBaseMs: envVar({
    name: 'WEBHOOK_RETRY_BASE_MS',
    default: '30000',
    description: 'Wait before the first retry of a failed webhook delivery; each further retry waits twice as long (at most 4 hours)',
    parse: integer(1, 3_600_000),
  }),
  webhookRetryWindowSeconds: envVar({
    name: 'WEBHOOK_RETRY_WINDOW_SECONDS',
    default: '86400',
    description: 'A webhook delivery is retried until this long after its event; then it is marked failed',
    parse: integer(1, 30 * 86_400),
  }),
  maxEpochs: envVar({ name: 'MAX_EPOCHS', default: '1000', description: 'Largest epochs a job may ask for', parse: integer(1, 1_000_000) }),
  maxBatchSize: envVar({
    name: 'MAX_BATCH_SIZE',
    default: '4096',
    description: 'Largest batch size a job may ask for',
    parse: integer(1, 1_000_000),
  }),
  maxRuntimeSeconds: envVar({
    name: 'MAX_RUNTIME_SECONDS',
    default: '604800',
    description: 'Largest maxRuntimeSeconds a job may ask for (default one week)',
    parse: integer(1, 10 * 365 * 24 * 3600),
  }),
  maxInputPixels: envVar({
    name: 'MAX_INPUT_PIXELS',
    default: '262144',
    description: 'Largest image height x width accepted for training (default 512x512)',
    parse: integer(1, 1 << 30),
  }),
  docsEnabled: envVar({ name: 'DOCS', default: 'true', description: 'Serve /docs (Swagger UI)', parse: boolean }),
  predictProcesses: envVar({
    name: 'PREDICT_PROCESSES',
    default: '1',
    description: 'Inference processes each API process starts (on the first prediction) for POST /v1/jobs/{id}/predict',
    parse: integer(1, 64),
  }),
  predictNice: envVar({
    name: 'PREDICT_NICE',
    default: '10',
    description:
      "Scheduling niceness (0-19) of the inference processes, so that the API's event loop gets the CPU first; 0 keeps the normal priority",
    parse: integer(0, 19),
  }),
  predictMaxImages: envVar({
    name: 'PREDICT_MAX_IMAGES',
    default: '64',
    description: 'Images (or JSON instances) one prediction request may carry; more answer 413 predict_images_limit',
    parse: integer(1, 100_000),
  }),
  maxConcurrentPredictionsPerTenant: envVar({
    name: 'MAX_CONCURRENT_PREDICTIONS_PER_TENANT',
    default: '4',
    description:
      'Prediction requests of one tenant in progress at once, counted by each API process; more answer 429 concurrent_predictions_limit',
    parse: integer(1, 100_000),
  }),
  predictCacheMemoryBytes: envVar({
    name: 'PREDICT_CACHE_MEMORY',
    default: '1gb',
    description: 'Memory for loaded models in each inference process; the least recently used models are unloaded to make room',
    parse: bytes(1024, 1024 ** 4),
  }),
  predictBodyLimitBytes: envVar({
    name: 'PREDICT_BODY_LIMIT',
    default: '32mb',
    description: 'Largest prediction request (all images, or the JSON instances, together); larger ones answer 413 predict_body_too_large',
    parse: bytes(1024, 1024 ** 3),
  }),
};

export const apiConfigVars = { ...commonEnv, ...apiEnv };

export type ApiConfig = EnvValues<typeof apiConfigVars>;

/** Reads and checks every variable; throws ConfigError listing each bad value. */
export function readApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return readEnv(apiConfigVars, env);
}
