/** GET /v1/jobs/{id}/evaluation: the final metrics on the test set, once the job has succeeded. */
import { ApiError, type EvaluationView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export async function getEvaluation(deps: ApiDeps, tenant: Tenant, id: string): Promise<EvaluationView> {
  const job = await findJob(deps.db, tenant.id, id);
  const stored = await deps.db.jobs.evaluation(job.id);
  if (stored === null) {
    throw new ApiError('job_not_finished', `Job ${job.id} is ${job.status}; its evaluation exists once it has succeeded.`, {
      status: job.status,
    });
  }
  const evaluation = stored as EvaluationView;
  return {
    top1: evaluation.top1,
    top5: evaluation.top5,
    loss: evaluation.loss,
    classNames: evaluation.classNames,
    perClass: evaluation.perClass,
    confusionMatrix: evaluation.confusionMatrix,
    ...(evaluation.examples !== undefined ? { examples: evaluation.examples } : {}),
  };
}
