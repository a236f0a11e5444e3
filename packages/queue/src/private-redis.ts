/**
 * A redis-server of our own on a free loopback port, with an append-only file so that a restart keeps
 * the queue, as a production Redis does: `trainyard start` runs one when no Redis is configured, and
 * tests that stop and start Redis use one (never the shared one on 6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '@trainyard/contracts/ports';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGTERM, as a restart does: Redis writes its append-only file and exits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and files. */
  start(): Promise<void>;
}

/** Whether `redis-server` is on the PATH. */
export async function redisServerAvailable(): Promise<boolean> {
  const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  try {
    const [code] = (await Promise.race([once(child, 'exit'), once(child, 'error').then(() => [1])])) as [number | null];
    return code === 0;
  } catch {
    return false;
  }
}

/** Starts redis-server with its files in `dataDir`, on `port` or a free one. */
export async function startRedisServer(dataDir: string, port?: number): Promise<RedisServer> {
  await mkdir(dataDir, { recursive: true });
  const listenPort = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const start = async () => {
    const server = spawn(
      'redis-server',
      ['--port', String(listenPort), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      for (const output of [server.stdout!, server.stderr!]) {
        createInterface({ input: output }).on('line', (line) => {
          lines.push(line);
          if (lines.length > 20) lines.shift();
          if (/Ready to accept connections/i.test(line)) resolve();
        });
      }
      server.once('error', reject);
      server.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${lines.slice(-5).join(' | ')}`)));
    });
    child = server;
  };
  const stop = async () => {
    const server = child;
    child = null;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${listenPort}`, port: listenPort, stop, start };
}

/** For tests: a redis-server in a temporary folder; `close` stops it and deletes its files. */
export async function startPrivateRedis(): Promise<RedisServer & { close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-redis-'));
  const server = await startRedisServer(dir);
  return {
    ...server,
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
