/**
 * PATCH /v1/jobs/{id}: merges tags into the job's (a null value deletes the key). The job is looked up
 * before the body is judged, so another tenant's id answers 404 whatever was sent.
 */
import { ApiError, TAG_LIMITS, type JobView, type UpdateJobBody } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { waitingReasons } from './waiting-for.js';
import { tagsValidationError } from '../http/limit-errors.js';
import { toApiError } from '../http/errors.js';
import { findJob } from './find-job.js';
import { toJobView } from './job-view.js';

export interface UpdateRequest {
  body: UpdateJobBody | undefined;
  contentType: string | undefined;
  validationError?: Error & { validation?: Array<{ instancePath?: string; keyword?: string }> };
}

export async function updateJob(deps: ApiDeps, state: ApiState, tenant: Tenant, id: string, request: UpdateRequest): Promise<JobView> {
  await findJob(deps.db, tenant.id, id);
  if (!/^application\/([a-z0-9.+-]+\+)?json\b/i.test(request.contentType ?? '')) {
    throw new ApiError('unsupported_media_type', 'Send the change as JSON with Content-Type: application/json.');
  }
  if (request.body === undefined || request.body === null) {
    throw new ApiError('invalid_json', 'The request body is empty; send a JSON object such as {"tags": {"key": "value"}}.');
  }
  if (request.validationError) throw tagsValidationError(request.validationError.validation ?? []) ?? toApiError(request.validationError);
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(request.body.tags)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  const result = await deps.db.jobs.mergeTags(tenant.id, id, { set, remove, maxTags: TAG_LIMITS.maxTags });
  if (result === 'not_found') throw new ApiError('not_found', `No job ${id.slice(0, 64)}.`);
  if (result === 'tags_limit') {
    throw new ApiError('tags_limit', `With this change the job would carry more than ${TAG_LIMITS.maxTags} tags.`, {
      limit: TAG_LIMITS.maxTags,
    });
  }
  const [metrics, waiting] = await Promise.all([deps.db.metrics.summaries([result.id]), waitingReasons(deps, state, tenant.id, [result])]);
  return toJobView(result, metrics.get(result.id), waiting.get(result.id) ?? null);
}
