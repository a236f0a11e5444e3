/** /v1/datasets: uploaded datasets (multipart in, the inspected summary out). */
import { Type, type Static } from '@sinclair/typebox';
import { DATASET_FORMATS, DATASET_STATUSES } from '../job-status.js';
import { Header, IdParams, Nullable, PageQuery, StringEnum, Timestamp, empty, json, keyOperation, Shape3 } from './common.js';

export const DatasetViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    status: StringEnum(DATASET_STATUSES),
    format: Nullable(StringEnum(DATASET_FORMATS)),
    inputShape: Nullable(Shape3()),
    classNames: Type.Array(Type.String()),
    classCounts: Type.Array(Type.Integer(), { description: 'Training images per class' }),
    testClassCounts: Type.Array(Type.Integer(), { description: 'Test images per class' }),
    trainSize: Type.Integer(),
    testSize: Type.Integer(),
    testSplit: Nullable(
      Type.String({ description: "Where the test images come from: the upload's own test files, or held out of the training ones" }),
    ),
    validation: Type.Object({ valid: Type.Boolean() }),
    files: Type.Array(Type.Object({ part: StringEnum(['images', 'labels', 'file'] as const), name: Type.String(), bytes: Type.Integer() })),
    bytes: Type.Integer(),
    createdAt: Timestamp,
    links: Type.Object({ self: Type.String() }),
  },
  { title: 'Dataset' },
);
export type DatasetView = Static<typeof DatasetViewSchema>;

export const DatasetListSchema = Type.Object({ datasets: Type.Array(DatasetViewSchema), nextCursor: Nullable(Type.String()) });
export type DatasetList = Static<typeof DatasetListSchema>;
export const ListDatasetsQuerySchema = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListDatasetsQuery = Static<typeof ListDatasetsQuerySchema>;

const binaryFiles = (description: string) => Type.Array(Type.String({ format: 'binary' }), { description });

/** Documents the multipart body; the route reads it as a stream (Fastify does not validate it). */
export const DatasetUploadSchema = Type.Object({
  images: Type.Optional(binaryFiles('IDX images files (gzip or not); one per labels part')),
  labels: Type.Optional(binaryFiles('IDX labels files, in the order of the images parts')),
  file: Type.Optional(binaryFiles('CIFAR-10/100 binary batches, or an image-folder .zip / .tar(.gz) (one folder per class)')),
  format: Type.Optional(StringEnum(DATASET_FORMATS, { description: 'Guessed from the files when left out' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  imageSize: Type.Optional(
    Type.String({
      pattern: '^\\[?\\s*\\d{1,4}\\s*[,x]\\s*\\d{1,4}\\s*\\]?$',
      description: '"height,width" (1 to 4096 each): every image is resized to it',
    }),
  ),
  channels: Type.Optional(StringEnum(['1', '3'] as const, { description: 'Images are read as grayscale (1) or RGB (3)' })),
  testFraction: Type.Optional(
    Type.String({
      pattern: '^\\d*\\.?\\d+$',
      description: 'A number between 0 and 1: the share of images held out for the test split when the upload has none',
    }),
  ),
});

export const uploadDataset = keyOperation(
  'POST',
  '/v1/datasets',
  {
    operationId: 'uploadDataset',
    summary: 'Upload a dataset',
    description:
      'multipart/form-data: `images` and `labels` parts for IDX, or `file` parts; optional `format`, `name`, `imageSize`, `channels` and `testFraction` fields.',
    tags: ['datasets'],
    multipartBody: DatasetUploadSchema,
    response: { 201: json('The dataset, inspected and validated', DatasetViewSchema, { location: Header.location }) },
  },
  [
    'validation_failed',
    'unsupported_media_type',
    'upload_too_large',
    'datasets_limit',
    'classes_limit',
    'control_character',
    'concurrent_uploads_limit',
    'storage_quota_exceeded',
    'upload_timeout',
    'dataset_invalid',
    'dataset_malformed',
    'dataset_unsafe_path',
    'dataset_unsupported',
    'dataset_too_large',
    'image_pixels_limit',
    'archive_pixels_limit',
    'storage_unavailable',
  ],
);

export const listDatasets = keyOperation(
  'GET',
  '/v1/datasets',
  {
    operationId: 'listDatasets',
    summary: 'List datasets, newest first',
    tags: ['datasets'],
    querystring: ListDatasetsQuerySchema,
    response: { 200: json('A page of datasets', DatasetListSchema) },
  },
  ['validation_failed'],
);

export const getDataset = keyOperation(
  'GET',
  '/v1/datasets/{id}',
  {
    operationId: 'getDataset',
    summary: 'One dataset: classes, counts, input shape, validation',
    tags: ['datasets'],
    params: IdParams,
    response: { 200: json('The dataset', DatasetViewSchema) },
  },
  ['validation_failed', 'not_found'],
);

export const deleteDataset = keyOperation(
  'DELETE',
  '/v1/datasets/{id}',
  { operationId: 'deleteDataset', summary: 'Delete a dataset', tags: ['datasets'], params: IdParams, response: { 204: empty('Deleted') } },
  ['validation_failed', 'not_found', 'dataset_in_use', 'invalid_json', 'unsupported_media_type', 'payload_too_large'],
);
