/** A sweep row with its trials as the API shows it (SweepView, SweepSummary in @trainyard/contracts). */
import {
  isBetter,
  type LeaderboardEntry,
  type ResolvedSweepSpec,
  type SweepStatus,
  type SweepSummary,
  type SweepView,
  type TrialAssignment,
} from '@trainyard/contracts';
import type { DecisionRecord, Sweep, TrialRow } from '@trainyard/db';

export function sweepSpecOf(sweep: Sweep): ResolvedSweepSpec {
  return sweep.spec as unknown as ResolvedSweepSpec;
}

export function sweepPlanOf(sweep: Sweep): TrialAssignment[] {
  return sweep.plan as unknown as TrialAssignment[];
}

export function toSweepSummary(sweep: Sweep, best: SweepSummary['best'] = null): SweepSummary {
  const spec = sweepSpecOf(sweep);
  const self = `/v1/sweeps/${sweep.id}`;
  return {
    id: sweep.id,
    name: sweep.name,
    status: sweep.status as SweepStatus,
    metric: spec.metric,
    goal: spec.goal,
    searcher: spec.searcher,
    space: spec.space,
    base: spec.base,
    maxConcurrentTrials: spec.maxConcurrentTrials,
    trials: { planned: sweepPlanOf(sweep).length, created: sweep.trialsCreated },
    best,
    error: sweep.errorCode ? { code: sweep.errorCode, message: sweep.errorMessage ?? '' } : null,
    createdAt: sweep.createdAt.toISOString(),
    updatedAt: sweep.updatedAt.toISOString(),
    finishedAt: sweep.finishedAt?.toISOString() ?? null,
    links: { self, decisions: `${self}/decisions`, cancel: `${self}/cancel` },
  };
}

/**
 * The leaderboard: every trial created, best metric (at its last epoch) first, trials without a
 * metric last; `best` is the first succeeded trial of it.
 */
export function toSweepView(sweep: Sweep, trials: TrialRow[], decisions: DecisionRecord[]): SweepView {
  const spec = sweepSpecOf(sweep);
  const plan = sweepPlanOf(sweep);
  const prunedAt = new Map(decisions.filter((decision) => !decision.continues).map((decision) => [decision.jobId, decision.rung]));
  const leaderboard: LeaderboardEntry[] = trials
    .map((row) => ({
      trial: row.trial,
      jobId: row.jobId,
      status: row.status,
      stopReason: row.stopReason,
      epochs: row.epochs,
      metric: row.metric,
      prunedAtRung: prunedAt.get(row.jobId) ?? null,
      hyperparameters: plan[row.trial] ?? {},
    }))
    .sort((a, b) => compareEntries(a, b, spec.goal));
  const winner = leaderboard.find((entry) => entry.status === 'succeeded' && entry.metric !== null);
  const best = winner
    ? { trial: winner.trial, jobId: winner.jobId, metric: winner.metric!, epochs: winner.epochs, hyperparameters: winner.hyperparameters }
    : null;
  return { ...toSweepSummary(sweep, best), leaderboard };
}

function compareEntries(a: LeaderboardEntry, b: LeaderboardEntry, goal: ResolvedSweepSpec['goal']): number {
  if (a.metric !== null && b.metric !== null && a.metric !== b.metric) return isBetter(a.metric, b.metric, goal) ? -1 : 1;
  if ((a.metric === null) !== (b.metric === null)) return a.metric === null ? 1 : -1;
  return a.trial - b.trial;
}
