import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

export interface S3rverProcess {
  endpoint: string;
  port: number;
  bucket: string;
  directory: string;
  /** The variables `openStorage` reads, ready to merge into a child's environment. */
  env: Record<string, string>;
  /** STORAGE_URL for this server's bucket (with an optional key prefix). */
  storageUrl(prefix?: string): string;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./s3rver-main.js', import.meta.url));

/**
 * Starts s3rver on 127.0.0.1 in a child process (with the legacy OpenSSL provider it needs for
 * ListObjectsV2 paging). Port 0 picks a free port; pass the old port and directory to restart a
 * stopped server with its data.
 */
export async function startS3rver(options: { directory: string; bucket?: string; port?: number }): Promise<S3rverProcess> {
  const bucket = options.bucket ?? 'trainyard';
  const child = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, options.directory, String(options.port ?? 0), bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await readPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    bucket,
    directory: options.directory,
    env: { S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    storageUrl: (prefix = '') => `s3://${bucket}/${prefix}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function readPort(child: ChildProcess): Promise<number> {
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const exit = once(child, 'exit').then(([code]) => {
    throw new Error(`s3rver exited with ${code} before listening: ${stderr.trim()}`);
  });
  const port = (async () => {
    for await (const line of lines) {
      const parsed = JSON.parse(line) as { port: number };
      return parsed.port;
    }
    throw new Error(`s3rver closed its output before listening: ${stderr.trim()}`);
  })();
  const result = await Promise.race([port, exit]);
  exit.catch(() => {}); // the race is settled; a later exit is the caller's business
  return result;
}
