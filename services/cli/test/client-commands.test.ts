/**
 * `trainyard jobs ...` and `trainyard datasets ...` as real processes against a running service (API
 * and worker processes, Postgres, Redis, local storage): submit, watch to the end, logs, list, show,
 * download, cancel, upload; the API's error codes on stderr; and the services' logs carry a request
 * id on every request line and the job id on every line about a job.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, startLiveService, type LiveService } from '../src/testing/live-service.js';
import { progressLine } from '../src/client/progress-line.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('trainyard jobs and datasets against a running service', () => {
  let service: LiveService;
  let scratch: string;
  let jobId: string;

  async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: { ...process.env, TRAINYARD_API_KEY: service.key, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: scratch,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, stdout, stderr };
  }
  const api = () => ['--api', service.url];

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'trainyard-cli-client-'));
    service = await startLiveService({ tenant: 'cli-client' });
  });
  after(async () => {
    await service?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('submit --json, then watch prints progress and per-epoch lines to the end and exits 0', async () => {
    const submitted = await cli([
      'jobs',
      'submit',
      ...api(),
      '--arch',
      'lenet5',
      '--dataset',
      'synthetic',
      '--name',
      'cli job',
      '--hp',
      'epochs=2',
      '--hp',
      'validationSplit=0.1',
      '--json',
    ]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const job = JSON.parse(submitted.stdout);
    assert.equal(job.status, 'queued');
    assert.equal(job.spec.hyperparameters.epochs, 2);
    jobId = job.id;

    const watched = await cli(['jobs', 'watch', jobId, ...api()]);
    assert.equal(watched.code, 0, watched.stderr + watched.stdout);
    const lines = watched.stdout.trim().split('\n');
    assert.ok(
      lines.some((line) => /^\[[#-]{20}\]\s+\d+% epoch 1\/2 step \d+\/\d+ loss \d/.test(line)),
      watched.stdout,
    );
    assert.ok(
      lines.some((line) => /^epoch 1: train loss \d/.test(line)),
      watched.stdout,
    );
    assert.ok(
      lines.some((line) => /^epoch 2: train loss \d/.test(line)),
      watched.stdout,
    );
    assert.ok(lines.includes('status: succeeded'), watched.stdout);
    assert.match(lines.at(-1)!, /^test set: top-1 \d+\.\d+%/);
  });

  test('watch --json of a finished job replays its events as JSON lines', async () => {
    const watched = await cli(['jobs', 'watch', jobId, ...api(), '--json']);
    assert.equal(watched.code, 0, watched.stderr);
    const events = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      events.filter((e) => e.type === 'epoch').map((e) => e.epoch),
      [1, 2],
    );
    assert.equal(events.at(-1).status, 'succeeded');
    assert.ok(events.every((e) => e.jobId === jobId));
  });

  test('jobs logs prints the log of a finished job; -f replays it and ends; --json prints the lines as JSON', async () => {
    const printed = await cli(['jobs', 'logs', jobId, ...api()]);
    assert.equal(printed.code, 0, printed.stderr);
    const lines = printed.stdout.trim().split('\n');
    assert.match(lines[0]!, /^\S+Z info  attempt 1 started on worker /);
    assert.ok(
      lines.some((line) => / info  engine \S+ on (cpu|gpu) /.test(line)),
      printed.stdout,
    );
    assert.ok(
      lines.some((line) => / info  epoch 2 done in /.test(line)),
      printed.stdout,
    );
    assert.match(lines.at(-1)!, / info  job succeeded: test accuracy /);
    const followed = await cli(['jobs', 'logs', jobId, '-f', ...api()]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, printed.stdout);
    const json = (await cli(['jobs', 'logs', jobId, ...api(), '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(json.length, lines.length);
    const later = await cli(['jobs', 'logs', jobId, '--since', json.at(-2).id, ...api(), '--json']);
    assert.deepEqual(JSON.parse(later.stdout), json.at(-1));
  });

  test('list, show and download', async () => {
    const listed = await cli(['jobs', 'list', ...api(), '--status', 'succeeded']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${jobId}\\s+succeeded\\s+lenet5\\s+synthetic\\s+epoch 2/2\\s+cli job`, 'm'));
    const listedJson = JSON.parse((await cli(['jobs', 'list', ...api(), '--json'])).stdout);
    assert.deepEqual(
      listedJson.jobs.map((j: { id: string }) => j.id),
      [jobId],
    );

    const shown = await cli(['jobs', 'show', jobId, ...api()]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /epoch 2: train loss/);
    assert.match(shown.stdout, /test set: top-1 \d/);
    const shownJson = JSON.parse((await cli(['jobs', 'show', jobId, ...api(), '--json'])).stdout);
    assert.equal(shownJson.metrics.epochs.length, 2);
    assert.equal(shownJson.evaluation.confusionMatrix.length, 10);

    const downloaded = await cli(['jobs', 'download', jobId, ...api(), '--output', 'model.tar.gz']);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    const bytes = readFileSync(join(scratch, 'model.tar.gz'));
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
  });

  test('tag a job, list by tag and metric, compare', async () => {
    const tagged = await cli(['jobs', 'tag', jobId, 'stage=best', 'owner=ana', ...api()]);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.match(tagged.stdout, /\[owner=ana stage=best\]/);
    const removed = await cli(['jobs', 'tag', jobId, '--remove', 'owner', ...api(), '--json']);
    assert.deepEqual(JSON.parse(removed.stdout).tags, { stage: 'best' });
    const listed = await cli(['jobs', 'list', ...api(), '--tag', 'stage:best', '--sort', 'metric:validationAccuracy:desc']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${jobId}\\s+succeeded.*\\[stage=best\\]$`, 'm'));
    const none = await cli(['jobs', 'list', ...api(), '--tag', 'stage:other', '--arch', 'lenet5']);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /no jobs/);
    const compared = await cli(['jobs', 'compare', jobId, ...api()]);
    assert.equal(compared.code, 0, compared.stderr);
    assert.match(compared.stdout, new RegExp(`^${jobId}\\s+succeeded\\s+lenet5\\s+epoch 2: train loss`, 'm'));
    assert.match(compared.stdout, /test set: top-1/);
  });

  test('cancel a queued job; errors show the API code and message', async () => {
    const long = JSON.parse(
      (
        await cli([
          'jobs',
          'submit',
          ...api(),
          '--arch',
          'lenet5',
          '--dataset',
          'synthetic',
          '--hp',
          'epochs=50',
          '--tag',
          'purpose=cancel',
          '--json',
        ])
      ).stdout,
    );
    assert.deepEqual(long.tags, { purpose: 'cancel' });
    const cancelled = await cli(['jobs', 'cancel', long.id, ...api(), '--json']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.ok(['cancelled', 'running'].includes(JSON.parse(cancelled.stdout).status));
    const watched = await cli(['jobs', 'watch', long.id, ...api()]);
    assert.equal(watched.code, 1, 'watch exits 1 for a job that did not succeed');
    assert.match(watched.stdout, /status: cancelled/);

    const unknown = await cli(['jobs', 'submit', ...api(), '--arch', 'lenet6', '--dataset', 'synthetic']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^trainyard: \[unknown_architecture\] /);
    const invalid = await cli(['jobs', 'submit', ...api(), '--arch', 'lenet5', '--dataset', 'synthetic', '--hp', 'epochs=0']);
    assert.match(invalid.stderr, /\[validation_failed\][\s\S]*hyperparameters\.epochs/);
    const missing = await cli(['jobs', 'show', '00000000-0000-4000-8000-000000000000', ...api()]);
    assert.match(missing.stderr, /\[not_found\]/);
    const noKey = await cli(['jobs', 'list', ...api()], { TRAINYARD_API_KEY: '' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /TRAINYARD_API_KEY/);
    const badKey = await cli(['jobs', 'list', ...api()], { TRAINYARD_API_KEY: 'ty_wrong-key-0000000000000000' });
    assert.match(badKey.stderr, /\[unauthorized\]/);
    const down = await cli(['jobs', 'list', '--api', 'http://127.0.0.1:1']);
    assert.match(down.stderr, /\[unreachable\] cannot reach the API at http:\/\/127\.0\.0\.1:1/);
  });

  test('datasets upload (an IDX pair, streamed) and list', async () => {
    const count = 40;
    const images = Buffer.alloc(16 + count * 28 * 28);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(28, 8);
    images.writeUInt32BE(28, 12);
    for (let i = 16; i < images.length; i++) images[i] = i % 251;
    const labels = Buffer.alloc(8 + count);
    labels.writeUInt32BE(0x801, 0);
    labels.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) labels[8 + i] = i % 4;
    writeFileSync(join(scratch, 'train-images-idx3-ubyte'), images);
    writeFileSync(join(scratch, 'train-labels-idx1-ubyte'), labels);
    const uploaded = await cli([
      'datasets',
      'upload',
      ...api(),
      '--images',
      'train-images-idx3-ubyte',
      '--labels',
      'train-labels-idx1-ubyte',
      '--name',
      'tiny',
      '--json',
    ]);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const dataset = JSON.parse(uploaded.stdout);
    assert.equal(dataset.classNames.length, 4);
    const listed = await cli(['datasets', 'list', ...api()]);
    assert.match(listed.stdout, new RegExp(`^${dataset.id}\\s+tiny\\s+idx\\s+28x28x1\\s+4 classes`, 'm'));
    const missingFile = await cli(['datasets', 'upload', ...api(), 'nope.zip']);
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /no such file: .*nope\.zip/);
  });

  test('every API request log line has a request id; every worker line about a job has the job id', () => {
    const requests = service.api.lines.filter((line) => line.msg === 'request');
    assert.ok(requests.length > 10);
    for (const line of requests) assert.match(String(line.reqId), /^[0-9a-f-]{36}$/, JSON.stringify(line));
    const workerLines = service.worker.lines.filter((line) => typeof line.level === 'number');
    // Lines about the worker process itself (start, stop, queue connection, its engine) name no job. So do the
    // lines a warm child prints while it loads its engine, before it is given a job: Dawn's adapter notices.
    const processLines =
      /^(worker ready|worker stopping|worker stopped|worker engine|database schema|applied migration|queue worker error|heartbeat failed|reaping stale jobs failed|training engine|engine|Warning: max\w+ artificially reduced)/;
    // TensorFlow.js's advice to install tfjs-node is not printed: the engine was chosen on purpose.
    const banner = workerLines.filter((line) => /Hi, looks like you are running TensorFlow\.js|^=+$/.test(String(line.msg)));
    assert.deepEqual(banner, [], "TensorFlow.js's Node banner");
    const aboutJobs = workerLines.filter((line) => !processLines.test(String(line.msg)));
    assert.ok(aboutJobs.length > 5, JSON.stringify(workerLines.slice(0, 5)));
    const missing = aboutJobs.filter((line) => typeof line.jobId !== 'string');
    assert.deepEqual(missing, [], 'worker lines without a jobId');
  });
});

test('the progress line of `jobs watch` on a terminal', () => {
  assert.equal(
    progressLine({ epoch: 2, epochs: 4, step: 50, steps: 100, imagesPerSecond: 2812.4, etaSeconds: 75, loss: 0.51234, accuracy: 0.8123 }),
    '[########------------]  37% epoch 2/4 step 50/100 loss 0.512 acc 81.2% 2,812 img/s ETA 1m15s',
  );
  assert.equal(
    progressLine({ epoch: 1, epochs: 1, step: 10, steps: 10, imagesPerSecond: null, etaSeconds: null }),
    '[####################] 100% epoch 1/1 step 10/10',
  );
});
