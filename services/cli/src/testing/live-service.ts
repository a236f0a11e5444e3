/**
 * The whole service as real processes, for the CLI client tests, the dashboard's browser test and its
 * screenshot script: a fresh
 * Postgres database, a fresh queue prefix on the local Redis, a temporary storage folder, then
 * `trainyard start api` and `trainyard start worker`, and an API key made by `trainyard keys create`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '@trainyard/db/testing';
import { startContractProxy, type ContractProxy } from './contract-proxy.js';

export const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

/** A service process whose JSON log lines are kept (to wait for readiness, and to show on failure). */
export class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<unknown>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
      });
    }
    this.exited = once(this.child, 'exit');
  }

  async waitFor(message: string, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((candidate) => candidate.msg === message);
      if (line) return line;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${message}" log line:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  tail(count = 20): string {
    return this.lines
      .slice(-count)
      .map((line) => JSON.stringify(line))
      .join('\n');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export interface LiveService {
  /**
   * e.g. http://127.0.0.1:41234: a proxy that checks every answer against the API's OpenAPI document;
   * close() fails if any did not match.
   */
  url: string;
  /** The API itself, unchecked. */
  apiUrl: string;
  key: string;
  env: Record<string, string>;
  api: ServiceProcess;
  worker: ServiceProcess;
  close(): Promise<void>;
}

async function run(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`trainyard ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

export async function startLiveService(options: { env?: Record<string, string>; tenant?: string } = {}): Promise<LiveService> {
  const scratch = await mkdtemp(join(tmpdir(), 'trainyard-live-'));
  const database = await createTestDatabase();
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: `live-${randomUUID().slice(0, 8)}`,
    STORAGE_URL: `file://${join(scratch, 'storage')}`,
    LOG_LEVEL: 'info',
    WORKER_PROGRESS_MS: '100',
    WORKER_HEARTBEAT_MS: '1000',
    ...options.env,
  };
  const key = (await run(['keys', 'create', '--tenant', options.tenant ?? 'live'], env)).trim().split('\n').at(-1)!;
  const api = new ServiceProcess(['start', 'api'], { ...env, PORT: '0', HOST: '127.0.0.1' });
  const worker = new ServiceProcess(['start', 'worker'], env);
  let proxy: ContractProxy | null = null;
  const close = async () => {
    await proxy?.close();
    await Promise.all([api.stop(), worker.stop()]);
    await database.drop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
    if (proxy && proxy.problems.length > 0) {
      throw new Error(`answers that do not match the OpenAPI document:\n  ${[...new Set(proxy.problems)].join('\n  ')}`);
    }
  };
  try {
    const listening = await api.waitFor('API listening');
    await worker.waitFor('worker ready');
    const apiUrl = String(listening.address).replace('0.0.0.0', '127.0.0.1');
    proxy = await startContractProxy(apiUrl);
    return { url: proxy.url, apiUrl, key, env, api, worker, close };
  } catch (error) {
    await close();
    throw error;
  }
}
export { encodePng } from './png.js';

export interface EventReceiver<T = { type: string }> {
  /** http://127.0.0.1:PORT/path */
  url: string;
  /** The JSON bodies received so far, in order. */
  received: T[];
  close(): void;
}

/** A webhook receiver on loopback for tests: keeps the JSON body of every request and answers 200. */
export async function startEventReceiver<T = { type: string }>(path: string): Promise<EventReceiver<T>> {
  const received: T[] = [];
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push(JSON.parse(body) as T);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    close: () => server.close(),
  };
}
