/** Everything a route or service operation may use, handed to buildApi once. */
import type { Database } from '@trainyard/db';
import type { Storage } from '@trainyard/storage';
import type { Logger } from 'pino';
import type { ApiConfig } from './config.js';
import type { ApiQueue } from './ports.js';

export interface ApiDeps {
  config: ApiConfig;
  db: Database;
  storage: Storage;
  queue: ApiQueue;
  logger: Logger;
}
