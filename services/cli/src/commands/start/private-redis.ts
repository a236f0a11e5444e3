import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, isListening } from './ports.js';
import type { LocalServer } from './local-server.js';

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

/**
 * A private redis-server on a free loopback port, its data (append-only file) in `dataDir`. The port
 * is written to `dataDir/port`, so that another `trainyard start` in the same folder (say, a second
 * worker) finds it and shares it instead of starting a second server on the same files.
 */
export async function startPrivateRedis(dataDir: string, log: (message: string) => void): Promise<LocalServer> {
  await mkdir(dataDir, { recursive: true });
  const portFile = join(dataDir, 'port');
  const shared = Number(await readFile(portFile, 'utf8').catch(() => ''));
  if (Number.isInteger(shared) && shared > 0 && (await isListening('127.0.0.1', shared))) {
    log(`using the private redis-server already running on 127.0.0.1:${shared}`);
    return { url: `redis://127.0.0.1:${shared}`, stop: async () => {} };
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (/Ready to accept connections/i.test(line)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${lines.slice(-5).join(' | ')}`)));
  });
  await writeFile(portFile, `${port}\n`);
  log(`private redis-server listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
