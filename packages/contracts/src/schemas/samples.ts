/** GET /v1/jobs/{id}/samples and /v1/datasets/{id}/samples: a few test images per class. */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, json, keyOperation, Shape3 } from './common.js';

export const SampleSetSchema = Type.Object(
  {
    split: Type.Literal('test'),
    inputShape: Shape3(),
    classNames: Type.Array(Type.String()),
    samples: Type.Array(
      Type.Object({
        index: Type.Integer({ description: 'Position in the test split' }),
        label: Type.Integer(),
        pixels: Type.String({ contentEncoding: 'base64', description: 'height x width x channels bytes (0-255, HWC order)' }),
      }),
      { description: 'Up to 4 images for each of the first 20 classes, by class' },
    ),
  },
  { title: 'SampleSet' },
);
export type SampleSet = Static<typeof SampleSetSchema>;

const ERRORS = ['validation_failed', 'not_found', 'dataset_unavailable', 'storage_unavailable'] as const;

export const getJobSamples = keyOperation(
  'GET',
  '/v1/jobs/{id}/samples',
  {
    operationId: 'getJobSamples',
    summary: "Sample test images of the job's dataset",
    tags: ['jobs'],
    params: IdParams,
    response: { 200: json('The samples', SampleSetSchema) },
  },
  [...ERRORS],
);

export const getDatasetSamples = keyOperation(
  'GET',
  '/v1/datasets/{id}/samples',
  {
    operationId: 'getDatasetSamples',
    summary: 'Sample test images of a dataset',
    tags: ['datasets'],
    params: IdParams,
    response: { 200: json('The samples', SampleSetSchema) },
  },
  [...ERRORS],
);
