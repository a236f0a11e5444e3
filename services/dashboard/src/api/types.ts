/** The API's answers, as @trainyard/client types them (one source: the schemas of @trainyard/contracts). */
export type {
  ArchitectureView,
  ComparedJobView,
  DatasetView,
  EpochMetricsView,
  EvaluationView,
  JobEvent,
  JobLogLine,
  JobView,
  SampleSet,
  SweepSummary,
  SweepView,
  WeightsView,
  WebhookDeliveryView,
  WebhookEventType,
  WebhookView,
  WebhookWithSecret,
} from '@trainyard/client';

/** A JSON-schema property of the hyperparameter table, as the submit form reads it from /openapi.json. */
export interface ParameterSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  properties?: Record<string, ParameterSchema>;
  oneOf?: ParameterSchema[];
  anyOf?: ParameterSchema[];
}
