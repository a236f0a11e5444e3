/**
 * API_PROCESSES > 1: HTTP served by that many processes sharing one port (node:cluster; the primary
 * accepts connections and hands them out in turn). Each process runs cluster-process.ts: its own
 * Fastify, pools and caches. The primary keeps what must run once (migrations, housekeeping loops)
 * and starts a new process when one dies.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.js';

const PROCESS_MAIN = fileURLToPath(new URL('./cluster-process.js', import.meta.url));
/** How long a process may take to finish its requests on shutdown before it is killed. */
const STOP_GRACE_MS = 10_000;
const RESTART_DELAY_MS = 1_000;

/** Messages from the primary to an HTTP process. */
export type PrimaryMessage = { type: 'shutdown' };

export interface HttpProcesses {
  /** e.g. http://127.0.0.1:3000 */
  address: string;
  close(): Promise<void>;
}

export async function startHttpProcesses(options: {
  processes: number;
  env: Record<string, string | undefined>;
  logger: Logger;
}): Promise<HttpProcesses> {
  const { logger } = options;
  const env = Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const workers = new Set<Worker>();
  let stopping = false;
  cluster.setupPrimary({ exec: PROCESS_MAIN, args: [] });

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const start = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      workers.add(worker);
      let listening = false;
      worker.once('listening', (address) => {
        listening = true;
        const host = address.addressType === 6 ? `[${address.address}]` : address.address;
        resolve(`http://${host}:${address.port}`);
      });
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        if (!listening) {
          reject(new Error(`an API process exited (${signal ?? `code ${code}`}) before it listened; see its log above`));
          return;
        }
        if (stopping) return;
        logger.error({ pid: worker.process.pid, code, signal }, 'an API process died; starting another');
        setTimeout(() => {
          if (!stopping) start().catch((error) => logger.error({ err: error }, 'could not restart an API process'));
        }, RESTART_DELAY_MS).unref();
      });
    });

  const stop = async () => {
    stopping = true;
    await Promise.all(
      [...workers].map(async (worker) => {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        send(worker, { type: 'shutdown' });
        const timer = setTimeout(() => worker.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    const addresses = await Promise.all(Array.from({ length: options.processes }, start));
    return { address: addresses[0]!, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
