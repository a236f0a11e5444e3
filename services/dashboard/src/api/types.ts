/** The API's answers, as the dashboard uses them (see /openapi.json and @trainyard/contracts). */
export type { JobView, JobStatus, JobProgress, EpochMetricsView } from '@trainyard/contracts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Evaluation {
  top1: number;
  top5: number;
  loss: number;
  classNames: string[];
  perClass: Array<{ className: string; precision: number; recall: number; f1: number; support: number }>;
  /** confusionMatrix[true][predicted] */
  confusionMatrix: number[][];
}

export interface Architecture {
  name: string;
  family?: string;
  description?: string;
  parameters: number | null;
  minInputSize?: number;
  [key: string]: unknown;
}

export interface DatasetView {
  id: string;
  name: string;
  status: string;
  format: string | null;
  inputShape: [number, number, number] | null;
  classNames: string[];
  classCounts: number[];
  testClassCounts: number[];
  trainSize: number;
  testSize: number;
  bytes: number;
  createdAt: string;
}

export interface SampleSet {
  inputShape: [number, number, number];
  classNames: string[];
  samples: Array<{ index: number; label: number; pixels: string }>;
}

/** A JSON-schema property of the hyperparameter table (from the OpenAPI document). */
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
