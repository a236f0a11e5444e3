/**
 * The JSON shapes the API answers with (and the worker writes): the job object, its progress and
 * metrics. Dates are ISO 8601 strings.
 */
import type { ErrorCode } from './errors.js';
import type { JobPhase, JobStatus } from './job-status.js';
import type { ResolvedJobSpec } from './job-spec.js';

/** Written by the worker on the job row while it trains; null fields are not known yet. */
export interface JobProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
}

/** One row of GET /v1/jobs/{id}/metrics. */
export interface EpochMetricsView {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface JobView {
  id: string;
  name: string | null;
  status: JobStatus;
  phase: JobPhase | null;
  architecture: string;
  spec: ResolvedJobSpec;
  progress: JobProgress | null;
  /** The last epoch's metrics, and the epoch with the best validation (else training) accuracy. */
  metrics: { latest: EpochMetricsView | null; best: EpochMetricsView | null };
  engine: string | null;
  attempts: number;
  cancelRequested: boolean;
  error: { code: ErrorCode | string; message: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  links: Record<string, string>;
}
