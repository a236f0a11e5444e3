import type { JobPhase, JobStatus } from '@trainyard/contracts';

/**
 * What a worker announces about a running job on `<prefix>:events:<jobId>` (for the API's live
 * stream). Postgres stays the record; events are a best-effort echo of what was just written there.
 */
export type JobEvent =
  | { type: 'status'; jobId: string; at: string; status: JobStatus; error?: { code: string; message: string } }
  | { type: 'phase'; jobId: string; at: string; phase: JobPhase }
  | {
      type: 'progress';
      jobId: string;
      at: string;
      epoch: number;
      epochs: number;
      step: number;
      steps: number;
      imagesPerSecond: number | null;
      etaSeconds: number | null;
      /** The latest batch's training loss, accuracy and learning rate (for live per-batch curves). */
      loss?: number;
      accuracy?: number;
      learningRate?: number;
    }
  | {
      type: 'epoch';
      jobId: string;
      at: string;
      epoch: number;
      trainLoss: number;
      trainAccuracy: number;
      validationLoss: number | null;
      validationAccuracy: number | null;
      learningRate: number;
      seconds: number;
    };

export type JobEventType = JobEvent['type'];

const EVENT_TYPES: readonly string[] = ['status', 'phase', 'progress', 'epoch'];

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
