/**
 * What travels through the queue. Only the id: Postgres holds the job's state, so a message can never
 * disagree with it.
 */
export interface QueueMessage {
  jobId: string;
}

/** Published on the cancel channel; every worker checks whether it runs the job. */
export interface CancelMessage {
  jobId: string;
}
