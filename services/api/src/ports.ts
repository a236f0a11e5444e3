/**
 * What the API needs from the queue, stated as small interfaces so that route code does not depend on
 * BullMQ or Redis directly (tests and other queues can stand in).
 */
export interface ApiQueue {
  /** Adds the job to the training queue; adding an id already there is a no-op. */
  enqueue(jobId: string): Promise<unknown>;
  /** Adds a job whose row was just inserted (it cannot be in the queue yet): one round trip. */
  enqueueNew(jobId: string): Promise<unknown>;
  /** Removes a job still waiting in the queue; false when a worker already has it or it is gone. */
  removeQueued(jobId: string): Promise<boolean>;
  /** Tells every worker to stop the job if it runs it. */
  publishCancel(jobId: string): Promise<unknown>;
  /** Deletes the job's live log (the job is being deleted; its stored log goes with its objects). */
  deleteJobLog(jobId: string): Promise<unknown>;
  /** Throws unless Redis answers (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}
