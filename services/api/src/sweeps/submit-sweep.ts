/**
 * POST /v1/sweeps. The searcher plans every trial now (the same request always plans the same
 * trials), and each planned trial's job spec is checked as POST /v1/jobs would check it, so that a
 * sweep that starts can run to its end. No trial is created here beyond what the sweep loop would
 * create (advanceSweep): trials are created as they may start.
 */
import {
  ApiError,
  defaultGoal,
  planTrials,
  resolveJobSpec,
  resolveSearcher,
  spaceProblems,
  trialSpec,
  type ResolvedSweepSpec,
  type SweepBody,
  type SweepView,
} from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { jobSpecValidationError } from '../http/limit-errors.js';
import { prepareJob } from '../jobs/submit-job.js';
import { advanceSweep } from './advance-sweep.js';
import { getSweep } from './get-sweep.js';

/** Checks a trial's spec against the job spec schema (with this deployment's limits); Ajv's errors on failure. */
export type TrialSpecValidator = ((spec: unknown) => boolean) & { errors?: Array<{ instancePath?: string; keyword?: string }> | null };

export async function submitSweep(deps: ApiDeps, tenant: Tenant, body: SweepBody, validateTrial: TrialSpecValidator): Promise<SweepView> {
  const searcher = resolveSearcher(body.searcher);
  const problems = spaceProblems(body.space, searcher);
  if (problems.length > 0) throw new ApiError('invalid_option', `The sweep cannot be planned: ${problems.join('; ')}.`, { problems });
  const spec: ResolvedSweepSpec = {
    base: body.base,
    space: body.space,
    searcher,
    metric: body.metric,
    goal: body.goal ?? defaultGoal(body.metric),
    maxConcurrentTrials: body.maxConcurrentTrials ?? 1,
  };
  const plan = planTrials(body.space, searcher);
  const checked = new Set<string>();
  for (const [trial, assignment] of plan.entries()) {
    const job = trialSpec(body.base, assignment, searcher);
    const key = JSON.stringify(job);
    if (checked.has(key)) continue;
    checked.add(key);
    if (!validateTrial(job)) {
      const error = jobSpecValidationError(
        Object.assign(new Error('invalid trial'), { validation: validateTrial.errors ?? [] }),
        deps.config,
      );
      throw new ApiError(error.code, `Trial ${trial} (${JSON.stringify(assignment)}): ${error.message}`, error.details);
    }
    if (spec.metric.startsWith('validation') && resolveJobSpec(job).hyperparameters.validationSplit === 0) {
      throw new ApiError(
        'invalid_option',
        `The metric ${spec.metric} needs a validation split: set hyperparameters.validationSplit above 0.`,
        {
          path: 'body.base.hyperparameters.validationSplit',
        },
      );
    }
    await prepareJob(deps, tenant.id, job).catch((error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(error.code, `Trial ${trial} (${JSON.stringify(assignment)}): ${error.message}`, error.details);
    });
  }
  const sweep = await deps.db.sweeps.create({ tenantId: tenant.id, name: body.name ?? null, spec, plan });
  await advanceSweep(deps, sweep.id).catch((error: unknown) => {
    deps.logger.warn({ sweepId: sweep.id, err: error }, 'could not create the first trials; the sweep loop will');
  });
  return getSweep(deps, tenant, sweep.id);
}
