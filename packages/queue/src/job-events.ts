import { JOB_EVENT_TYPES, type JobEvent, type JobEventType } from '@trainyard/contracts';

/**
 * What a worker announces about a running job on `<prefix>:events:<jobId>` (for the API's live
 * stream). Postgres stays the record; events are a best-effort echo of what was just written there.
 * The shape is JobEventSchema of @trainyard/contracts, the one the API's event stream documents.
 */
export type { JobEvent, JobEventType };

const EVENT_TYPES: readonly string[] = JOB_EVENT_TYPES;

/** Parses a channel message; null for anything that is not a JobEvent (never throws). */
export function parseJobEvent(text: string): JobEvent | null {
  try {
    const value = JSON.parse(text) as Partial<JobEvent>;
    if (typeof value !== 'object' || value === null) return null;
    if (typeof value.jobId !== 'string' || typeof value.type !== 'string' || !EVENT_TYPES.includes(value.type)) return null;
    return value as JobEvent;
  } catch {
    return null;
  }
}
