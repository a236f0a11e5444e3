/**
 * GET /v1/jobs/{id}/checkpoints/{epoch}/model: a retained checkpoint exported as a model. Building the
 * model needs tfjs, so a child process does it (export-checkpoint-child.ts), one export at a time per
 * API process: an export of a large model costs seconds and gigabytes, and other requests go on.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ApiError, isErrorCode, type ModelFormatQuery, type ResolvedJobSpec } from '@trainyard/contracts';
import type { Job, Tenant } from '@trainyard/db';
import { createScratchDir } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';
import type { ModelDownload } from './model-files.js';

/** What the child is told (as JSON): the export's options, with the class names or the builtin dataset that has them. */
export interface ExportChildOptions {
  format: NonNullable<ModelFormatQuery['format']>;
  modelOptions: NonNullable<ResolvedJobSpec['model']['options']>;
  classNames: string[] | { builtin: 'fashion-mnist' | 'synthetic' };
  engine: string;
}

const CHILD = fileURLToPath(new URL('./export-checkpoint-child.js', import.meta.url));
const TIMEOUT_MS = 600_000;

/** One export at a time in this process: the next waits for the previous one. */
let queue: Promise<unknown> = Promise.resolve();

export async function exportCheckpointModel(
  deps: ApiDeps,
  tenant: Tenant,
  id: string,
  epoch: number,
  format: NonNullable<ModelFormatQuery['format']>,
): Promise<ModelDownload> {
  const job = await findJob(deps.db, tenant.id, id);
  const checkpoint = (await deps.db.checkpoints.list(job.id)).find((row) => row.epoch === epoch);
  if (!checkpoint) throw new ApiError('not_found', `Job ${job.id} has no checkpoint of epoch ${epoch}.`);
  const options: ExportChildOptions = {
    format,
    modelOptions: (job.spec as unknown as ResolvedJobSpec).model.options ?? {},
    classNames: await classNamesOf(deps, job),
    engine: job.engine ?? 'unknown',
  };
  const dir = await createScratchDir(deps.config.uploadTmpDir ?? tmpdir(), 'export');
  try {
    const input = join(dir, 'checkpoint');
    const output = join(dir, format === 'tfjs' ? 'model.tar.gz' : 'model.safetensors');
    await pipeline(await deps.storage.get(checkpoint.storageKey), createWriteStream(input, { mode: 0o600 }));
    const run = queue.then(() => runChild(input, output, options));
    queue = run.catch(() => undefined);
    await run;
    const stream = createReadStream(output);
    // The folder goes once the answer has been read (or the client went away).
    stream.once('close', () => void rm(dir, { recursive: true, force: true }));
    return {
      stream,
      bytes: (await stat(output)).size,
      contentType: format === 'tfjs' ? 'application/gzip' : 'application/octet-stream',
      fileName: `${job.id}-epoch-${epoch}.${format === 'tfjs' ? 'tar.gz' : 'safetensors'}`,
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function classNamesOf(deps: ApiDeps, job: Job): Promise<ExportChildOptions['classNames']> {
  const spec = job.spec as unknown as ResolvedJobSpec;
  if ('builtin' in spec.dataset) return { builtin: spec.dataset.builtin };
  const dataset = job.datasetId ? await deps.db.datasets.get(job.datasetId) : null;
  return (dataset?.summary as { classNames?: string[] } | null)?.classNames ?? [];
}

function runChild(input: string, output: string, options: ExportChildOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CHILD, input, output, JSON.stringify(options)],
      { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        let reported: { code?: string; message?: string } = {};
        try {
          reported = JSON.parse(stderr) as typeof reported;
        } catch {
          // not our report: a crash
        }
        if (isErrorCode(reported.code) && reported.code !== 'internal') reject(new ApiError(reported.code, reported.message));
        else reject(new Error(`checkpoint export failed: ${reported.message ?? stderr.slice(0, 500) ?? error.message}`));
      },
    );
  });
}
