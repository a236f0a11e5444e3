/**
 * `trainyard webhooks create|list|delete|deliveries` over the service's HTTP API (--api URL; the key
 * from TRAINYARD_API_KEY): endpoints that receive job events, signed (Standard Webhooks).
 */
import { UsageError, printJson } from '../args.js';
import type { WebhookDeliveryView, WebhookEventType, WebhookView } from '@trainyard/client';
import { WEBHOOK_EVENT_TYPES } from '@trainyard/contracts';
import { clientFromEnvironment, DEFAULT_API_URL } from '../client/api-client.js';
import { parseClientArgs, positionals, runSubcommand } from '../client/command-line.js';

const USAGE = [
  'usage: trainyard webhooks create URL [--events job.succeeded,job.failed] [--description TEXT]',
  '       trainyard webhooks list',
  '       trainyard webhooks delete WEBHOOK_ID',
  '       trainyard webhooks deliveries WEBHOOK_ID   every attempt: status, duration, response code, next retry',
  '',
  `Events: ${WEBHOOK_EVENT_TYPES.join(', ')} (default: job.succeeded,job.failed,job.cancelled).`,
  'create prints the signing secret once; keep it to verify the webhook-signature header.',
  `Each takes --api URL (default $TRAINYARD_API_URL or ${DEFAULT_API_URL}) and --json; the key comes from TRAINYARD_API_KEY.`,
].join('\n');

const DEFAULT_EVENTS: WebhookEventType[] = ['job.succeeded', 'job.failed', 'job.cancelled'];

function describe(webhook: WebhookView): string {
  return `${webhook.id}  ${webhook.url}  ${webhook.events.join(',')}${webhook.description ? `  ${webhook.description}` : ''}`;
}

function describeDelivery(delivery: WebhookDeliveryView): string[] {
  const next = delivery.nextAttemptAt ? `  next attempt ${delivery.nextAttemptAt}` : '';
  const lines = [`${delivery.id}  ${delivery.eventType}  ${delivery.subjectId}  ${delivery.status}${next}`];
  for (const attempt of delivery.attempts) {
    const answer = attempt.responseStatus === null ? 'no answer' : `HTTP ${attempt.responseStatus}`;
    const retry = attempt.nextRetryAt ? `  retry at ${attempt.nextRetryAt}` : '';
    lines.push(`  ${attempt.startedAt}  ${answer}  ${attempt.durationMs} ms${attempt.error ? `  ${attempt.error}` : ''}${retry}`);
  }
  return lines;
}

function eventList(text: string | undefined): WebhookEventType[] {
  if (text === undefined) return DEFAULT_EVENTS;
  const events = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const event of events) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event)) {
      throw new UsageError(`unknown event "${event}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
    }
  }
  return events as WebhookEventType[];
}

async function create(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { events: { type: 'string' }, description: { type: 'string' } });
  const [url] = positionals(rest, ['url']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const webhook = await client.webhooks.create({
    url: url!,
    events: eventList(values.events as string | undefined),
    ...(values.description === undefined ? {} : { description: String(values.description) }),
  });
  if (values.json) printJson(webhook);
  else {
    process.stdout.write(`${describe(webhook)}\nsecret ${webhook.secret}\n`);
    process.stderr.write('the secret is shown only now: keep it to verify the webhook-signature header\n');
  }
  return 0;
}

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { limit: { type: 'string' }, cursor: { type: 'string' } });
  positionals(rest, []);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const page = await client.webhooks.list({
    limit: values.limit === undefined ? undefined : Number(values.limit),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) printJson(page);
  else {
    if (page.webhooks.length === 0) process.stderr.write('no webhooks\n');
    for (const webhook of page.webhooks) process.stdout.write(`${describe(webhook)}\n`);
    if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  }
  return 0;
}

async function remove(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['webhook-id']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  await client.webhooks.delete(id!);
  if (values.json) printJson({ id, deleted: true });
  else process.stderr.write(`deleted webhook ${id}\n`);
  return 0;
}

async function deliveries(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { limit: { type: 'string' }, cursor: { type: 'string' } });
  const [id] = positionals(rest, ['webhook-id']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const page = await client.webhooks.deliveries(id!, {
    limit: values.limit === undefined ? undefined : Number(values.limit),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) printJson(page);
  else {
    if (page.deliveries.length === 0) process.stderr.write('no deliveries\n');
    for (const delivery of page.deliveries) process.stdout.write(`${describeDelivery(delivery).join('\n')}\n`);
    if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  }
  return 0;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runSubcommand('webhooks', USAGE, { create, list, delete: remove, deliveries }, argv, env);
}
