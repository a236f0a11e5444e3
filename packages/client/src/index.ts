export { TrainyardClient, type ClientOptions, type EventOptions } from './client.js';
export { TrainyardApiError } from './errors.js';
export { SseParser, type SseMessage } from './sse.js';
export { CLIENT_METHODS } from './operations.js';
export type {
  ApiKeyView,
  ArchitectureList,
  ArchitectureView,
  CheckpointList,
  CheckpointView,
  CreatedApiKey,
  DatasetList,
  DatasetView,
  EpochMetricsView,
  EvaluationView,
  JobEvent,
  JobEventType,
  JobList,
  JobMetrics,
  JobProgress,
  JobSpec,
  JobStatus,
  JobView,
  ListDatasetsQuery,
  ListJobsQuery,
  ListWeightsQuery,
  ModelFormatQuery,
  OperationId,
  Readiness,
  SampleSet,
  TenantView,
  WeightsList,
  WeightsView,
} from '@trainyard/contracts';
