import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isListening } from '@trainyard/contracts/ports';
import { startRedisServer } from '@trainyard/queue/private-redis';
import type { LocalServer } from './local-server.js';

/**
 * A private redis-server on a free loopback port, its data (append-only file) in `dataDir`. The port
 * is written to `dataDir/port`, so that another `trainyard start` in the same folder (say, a second
 * worker) finds it and shares it instead of starting a second server on the same files.
 */
export async function startPrivateRedis(dataDir: string, log: (message: string) => void): Promise<LocalServer> {
  const portFile = join(dataDir, 'port');
  const shared = Number(await readFile(portFile, 'utf8').catch(() => ''));
  if (Number.isInteger(shared) && shared > 0 && (await isListening('127.0.0.1', shared))) {
    log(`using the private redis-server already running on 127.0.0.1:${shared}`);
    return { url: `redis://127.0.0.1:${shared}`, stop: async () => {} };
  }
  const server = await startRedisServer(dataDir);
  await writeFile(portFile, `${server.port}\n`);
  log(`private redis-server listening on 127.0.0.1:${server.port} (data in ${dataDir})`);
  return { url: server.url, stop: () => server.stop() };
}
