/**
 * A job's coarse status and its finer phase. The status drives every transition (single conditional
 * updates in the database); the phase only tells a user what a running job is doing right now.
 */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_PHASES = ['loading_data', 'training', 'evaluating', 'saving'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** Statuses a job never leaves. */
export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isFinished(status: JobStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

export const DATASET_STATUSES = ['uploading', 'ready'] as const;
export type DatasetStatus = (typeof DATASET_STATUSES)[number];

export const DATASET_FORMATS = ['idx', 'cifar10', 'cifar100', 'imagefolder'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export const BUILTIN_DATASETS = ['fashion-mnist', 'synthetic'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

/**
 * What the API must know about a built-in dataset before queueing a job on it (input-size checks).
 * `synthetic` is a small generated set for trying the service; workers read `fashion-mnist` from
 * FASHION_MNIST_DIR.
 */
export const BUILTIN_DATASET_INFO: Record<BuiltinDataset, { inputShape: [number, number, number]; classes: number }> = {
  'fashion-mnist': { inputShape: [28, 28, 1], classes: 10 },
  synthetic: { inputShape: [28, 28, 1], classes: 10 },
};
