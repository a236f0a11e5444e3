export { TRAINING_QUEUE_NAME, cancelChannel, jobEventsChannel, jobLogChannel } from './names.js';
export type { QueueSettings } from './connection.js';
export { JOB_TYPES, isJobType, assertHandlersComplete, type JobType } from './job-types.js';
export { TrainingQueue, DEFAULT_JOB_RETRY, type RetryOptions, type QueueState, type QueueCounts } from './training-queue.js';
export { JobChannels } from './job-channels.js';
export { parseJobEvent, type JobEvent, type JobEventType } from './job-events.js';
export {
  TrainingConsumer,
  PermanentJobError,
  type ConsumerOptions,
  type ConsumerLogger,
  type JobContext,
  type JobHandler,
  type JobOutcome,
} from './consumer.js';
export {
  jobEventLogKey,
  compareEventIds,
  isEventId,
  DEFAULT_EVENT_LOG_LIMITS,
  type LoggedJobEvent,
  type EventLogLimits,
} from './job-event-log.js';
export { WorkerRegistry, workersKey, type WorkerStatus } from './worker-registry.js';
export {
  jobLogKey,
  formatJobLogFile,
  parseJobLogFile,
  JOB_LOG_TTL_SECONDS,
  type JobLogLine,
  type JobLogMessage,
  type NewJobLogLine,
} from './job-log.js';
