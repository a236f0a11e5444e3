/** A job row as the API shows it (JobView in @trainyard/contracts). */
import type { DeviceView, WaitingFor, EpochMetricsView, JobProgress, JobView, ResolvedJobSpec } from '@trainyard/contracts';
import type { Job } from '@trainyard/db';

function jobLinks(id: string): JobView['links'] {
  const self = `/v1/jobs/${id}`;
  return {
    self,
    metrics: `${self}/metrics`,
    evaluation: `${self}/evaluation`,
    checkpoints: `${self}/checkpoints`,
    model: `${self}/model`,
    modelJson: `${self}/model/model.json`,
    cancel: `${self}/cancel`,
  };
}

export function toJobView(
  job: Job,
  metrics?: { latest: EpochMetricsView; best: EpochMetricsView },
  waitingFor: WaitingFor | null = null,
): JobView {
  return {
    id: job.id,
    name: job.name,
    tags: job.tags as Record<string, string>,
    status: job.status,
    phase: job.phase,
    architecture: job.architecture,
    spec: job.spec as unknown as ResolvedJobSpec,
    progress: (job.progress as unknown as JobProgress | null) ?? null,
    metrics: { latest: metrics?.latest ?? null, best: metrics?.best ?? null },
    engine: job.engine,
    device: (job.device as unknown as DeviceView | null) ?? null,
    waitingFor,
    attempts: job.attempts,
    sweepId: job.sweepId,
    stopReason: job.stopReason as JobView['stopReason'],
    cancelRequested: job.cancelRequestedAt !== null,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    links: jobLinks(job.id),
  };
}
