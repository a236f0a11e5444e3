/**
 * How a worker turns the queue entry it was handed into the job it runs. Postgres chooses (see
 * packages/db repositories/scheduler.ts: accelerator class, tenant limit, fewest running jobs per
 * tenant, submission order); the queue only delivers. When the entry is not the chosen job's, the
 * chosen entry is moved to the front of the queue and this one steps back, so the worker's next
 * take is the chosen job: the lock that guards a running job is always its own entry's.
 */
import type { ClaimDecision, Database, Job, SchedulingPolicy } from '@trainyard/db';
import type { TrainingQueue } from '@trainyard/queue';
import type { Logger } from './logger.js';

/** Jobs before this one whose entries other workers hold, skipped before giving up on this take. */
const MAX_SKIPPED = 8;

export type SchedulerClaim =
  | { kind: 'claimed'; job: Job }
  /** The job's tenant is at MAX_RUNNING_JOBS_PER_TENANT: the entry waits. */
  | { kind: 'limited'; running: number; limit: number }
  /** Another job goes first (`next`, now at the queue's front, or null: none this worker may run). */
  | { kind: 'step_back'; reason: 'not_next' | 'other_class' | 'all_busy'; next: string | null }
  | { kind: 'not_queued' };

export type QueueEntries = Pick<TrainingQueue, 'moveToFront'>;

export class JobScheduler {
  constructor(
    private readonly db: Pick<Database, 'scheduler'>,
    private readonly queue: QueueEntries,
    private readonly policy: SchedulingPolicy,
    private readonly logger: Logger,
    /** Called when a queued job had no live queue entry and got one again. */
    private readonly onRestored: (jobId: string) => void = () => {},
  ) {}

  /** Claims `jobId` (the entry this worker holds) if it is the job this worker should run next. */
  async claim(jobId: string, workerId: string): Promise<SchedulerClaim> {
    const skipped: string[] = [];
    while (skipped.length <= MAX_SKIPPED) {
      const decision: ClaimDecision = await this.db.scheduler.claimIfNext(jobId, workerId, this.policy, skipped);
      if (decision.kind === 'claimed' || decision.kind === 'not_queued') return decision;
      const step: SchedulerClaim =
        decision.kind === 'limited'
          ? { kind: 'limited', running: decision.running, limit: decision.limit }
          : { kind: 'step_back', reason: decision.kind, next: decision.next };
      if (decision.next === null) return step;
      if (await this.bringForward(decision.next)) return step;
      skipped.push(decision.next);
    }
    return { kind: 'step_back', reason: 'all_busy', next: null };
  }

  /**
   * For a worker with a free slot: moves the job it should run next to the front of the queue, so
   * that its next take is that job whatever order the entries are in. Returns the job, or null.
   */
  async promoteNext(): Promise<string | null> {
    const next = await this.db.scheduler.next(this.policy);
    if (next === null) return null;
    return (await this.bringForward(next)) ? next : null;
  }

  /** False when a worker holds the entry already (it is claiming or stepping back from it). */
  private async bringForward(jobId: string): Promise<boolean> {
    const moved = await this.queue.moveToFront(jobId);
    if (moved === 'added') {
      this.logger.warn({ jobId, code: 'queue_entry_restored' }, 'a queued job had no queue entry; enqueued it again');
      this.onRestored(jobId);
    }
    return moved !== 'busy';
  }
}
