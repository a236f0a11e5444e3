/**
 * A program typed only by @trainyard/client (compiled under `strict` with the rest of the package):
 * it submits a job, prints its events as they come, and reads its evaluation's top-1 accuracy.
 *
 *   TRAINYARD_API_KEY=... node packages/client/dist/examples/first-job.js
 */
import { TrainyardClient, type JobEvent } from '@trainyard/client';

function describe(event: JobEvent): string {
  switch (event.type) {
    case 'status':
      return `status ${event.status}${event.error ? ` [${event.error.code}] ${event.error.message}` : ''}`;
    case 'phase':
      return `phase ${event.phase}`;
    case 'progress':
      return `epoch ${event.epoch}/${event.epochs} step ${event.step}/${event.steps}`;
    case 'epoch':
      return `epoch ${event.epoch}: train loss ${event.trainLoss.toFixed(4)}, accuracy ${(event.trainAccuracy * 100).toFixed(1)}%`;
  }
}

const client = new TrainyardClient({
  baseUrl: process.env.TRAINYARD_API_URL ?? 'http://127.0.0.1:3000',
  apiKey: process.env.TRAINYARD_API_KEY,
});

const job = await client.jobs.submit({
  name: 'typed client example',
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs: 1 },
});
console.log(`submitted ${job.id} (${job.status})`);

for await (const event of client.jobs.events(job.id)) {
  if (event.type !== 'progress') console.log(describe(event));
}

const evaluation = await client.jobs.evaluation(job.id);
const top1: number = evaluation.top1;
console.log(`top-1 accuracy ${top1}`);
