/** Everything a route or service operation may use, handed to buildApi once. */
import type { Database } from '@trainyard/db';
import type { Storage } from '@trainyard/storage';
import type { Logger } from 'pino';
import type { ApiConfig } from './config.js';
import type { ApiQueue } from './ports.js';
import type { EnqueueMarks } from './jobs/enqueue-marks.js';
import type { TtlCache } from './ttl-cache.js';
import type { LiveWorkers } from './workers/live-workers.js';

export interface ApiDeps {
  config: ApiConfig;
  db: Database;
  storage: Storage;
  queue: ApiQueue;
  logger: Logger;
}

/** State the API keeps between requests, created by buildApi. */
export interface ApiState {
  enqueueMarks: EnqueueMarks;
  /** Queued jobs per tenant, remembered for a second (the quota is a soft limit). */
  queuedCounts: TtlCache<string, number>;
  /** Bytes each tenant stores, remembered for a few seconds (TENANT_STORAGE_QUOTA at submission). */
  storedBytes: TtlCache<string, number>;
  /** The workers' heartbeats, for waitingFor and GET /v1/workers. */
  liveWorkers: LiveWorkers;
}
