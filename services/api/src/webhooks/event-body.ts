/**
 * The JSON body of an event's POST: `{ type, createdAt, data: { job } }`, the job as GET /v1/jobs/{id}
 * shows it, made from the row as the transition left it (the event's data) and the job's metrics when
 * the body is first rendered. Sweep events carry the sweep view their transition stored: `data.sweep`.
 */
import { jobFromJson, type ClaimedDelivery } from '@trainyard/db';
import type { JobWebhookEvent } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { toJobView } from '../jobs/job-view.js';

export async function renderEventBody(deps: Pick<ApiDeps, 'db'>, event: ClaimedDelivery): Promise<string> {
  const createdAt = event.eventCreatedAt.toISOString();
  if (!event.eventType.startsWith('job.')) {
    return JSON.stringify({ type: event.eventType, createdAt, data: { sweep: event.eventData } });
  }
  const job = jobFromJson(event.eventData);
  const metrics = await deps.db.metrics.summaries([job.id]);
  const body: JobWebhookEvent = {
    type: event.eventType as JobWebhookEvent['type'],
    createdAt,
    data: { job: toJobView(job, metrics.get(job.id)) },
  };
  return JSON.stringify(body);
}
