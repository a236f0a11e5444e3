/**
 * `trainyard webhooks create|list|deliveries|delete` as real processes against a running service, with
 * a receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true) that the service's delivery loop reaches: the
 * API's transition (queued) and the worker's (running, succeeded) arrive as events.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI_MAIN, startEventReceiver, startLiveService, type EventReceiver, type LiveService } from '../src/testing/live-service.js';

let service: LiveService;
type Delivery = { type: string; data: { job: { id: string; status: string; metrics: { latest: unknown } } } };
let receiver: EventReceiver<Delivery>;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args, '--api', service.url], {
    env: { ...process.env, TRAINYARD_API_KEY: service.key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

before(async () => {
  receiver = await startEventReceiver<Delivery>('/hook');
  service = await startLiveService({ tenant: 'cli-webhooks', env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
});
after(async () => {
  await service?.close();
  receiver?.close();
});

test('create prints the secret once; list; deliveries show each attempt; delete', async () => {
  const events = 'job.queued,job.running,job.succeeded';
  const created = await cli(['webhooks', 'create', receiver.url, '--events', events, '--description', 'cli test']);
  assert.equal(created.code, 0, created.stderr);
  const [line, secretLine] = created.stdout.trim().split('\n');
  const id = line!.split(' ')[0]!;
  assert.match(line!, new RegExp(`^${id}  ${receiver.url.replace(/[.?]/g, '\\$&')}  ${events.replace(/\./g, '\\.')}  cli test$`));
  assert.match(secretLine!, /^secret whsec_\S+$/);
  assert.match(created.stderr, /shown only now/);

  const unknown = await cli(['webhooks', 'create', receiver.url, '--events', 'job.exploded']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown event "job.exploded"/);

  const listed = await cli(['webhooks', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).webhooks.map((w: { id: string }) => w.id),
    [id],
  );

  const submitted = await cli(['jobs', 'submit', '--arch', 'lenet5', '--dataset', 'synthetic', '--hp', 'epochs=1', '--json']);
  assert.equal(submitted.code, 0, submitted.stderr);
  const jobId = (JSON.parse(submitted.stdout) as { id: string }).id;
  const deadline = Date.now() + 180_000;
  while (!receiver.received.some((event) => event.type === 'job.succeeded') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    receiver.received.map((event) => event.type).sort(),
    ['job.queued', 'job.running', 'job.succeeded'],
    'the worker trained the job; its transitions came through the outbox',
  );
  const succeeded = receiver.received.find((event) => event.type === 'job.succeeded')!.data.job;
  assert.equal(succeeded.id, jobId);
  assert.equal(succeeded.status, 'succeeded');
  assert.ok(succeeded.metrics.latest, "the job view with the job's metrics");

  const deliveries = await cli(['webhooks', 'deliveries', id]);
  assert.equal(deliveries.code, 0, deliveries.stderr);
  for (const type of ['queued', 'running', 'succeeded']) {
    assert.match(deliveries.stdout, new RegExp(`job\\.${type}  ${jobId}  delivered\\n  \\S+  HTTP 200  \\d+ ms\\n`));
  }

  const deleted = await cli(['webhooks', 'delete', id]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stderr, new RegExp(`deleted webhook ${id}`));
  const gone = await cli(['webhooks', 'deliveries', id]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /not_found/);
});
