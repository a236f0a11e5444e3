/**
 * The example program of @trainyard/client (packages/client/examples/first-job.ts, compiled under
 * strict by `npm run build`), run against a live service: it submits a job, follows its events and
 * prints the evaluation's top-1 accuracy, read without a cast.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLiveService, type LiveService } from '../src/testing/live-service.js';

const EXAMPLE = fileURLToPath(new URL('../../../../packages/client/dist/examples/first-job.js', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../../../packages/client/examples/first-job.ts', import.meta.url));

let service: LiveService;
before(async () => {
  service = await startLiveService({ tenant: 'client-example' });
});
after(async () => service?.close());

test('the typed client example submits a job, watches its events and reads top1', async () => {
  const source = readFileSync(SOURCE, 'utf8');
  assert.doesNotMatch(source, /\bas\s+(unknown|any|[A-Z]\w*)\b|<[A-Z]\w*>\s*\(|:\s*any\b/, 'the example uses no casts and no any');
  assert.deepEqual(
    [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]),
    ['@trainyard/client'],
    'the example imports only @trainyard/client',
  );
  const child = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, TRAINYARD_API_URL: service.url, TRAINYARD_API_KEY: service.key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^submitted [0-9a-f-]{36} \(queued\)$/m);
  assert.match(stdout, /^epoch 1: train loss \d/m);
  assert.match(stdout, /^status succeeded$/m);
  const top1 = Number(/^top-1 accuracy (\S+)$/m.exec(stdout)?.[1]);
  assert.ok(top1 >= 0 && top1 <= 1, stdout);
});
