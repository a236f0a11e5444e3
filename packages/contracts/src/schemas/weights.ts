/** /v1/weights: pretrained weights (a torchvision state_dict) a tenant uploads to fine-tune from. */
import { Type, type Static } from '@sinclair/typebox';
import { Header, IdParams, Nullable, PageQuery, Timestamp, empty, json, keyOperation } from './common.js';

export const WEIGHTS_FORMATS = ['torch-zip', 'torch-legacy', 'safetensors'] as const;

export const WeightsViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    architecture: Type.String({ description: 'The architecture the weights were checked against (GET /v1/architectures)' }),
    format: Type.Union(
      WEIGHTS_FORMATS.map((format) => Type.Literal(format)),
      {
        description: 'torch-zip (torch.save of torch >= 1.6), torch-legacy (older torch.save), or safetensors',
      },
    ),
    classes: Type.Integer({
      description: "Outputs of the file's classifier (1000 for ImageNet weights); a job with other classes gets a new one",
    }),
    auxLogits: Type.Boolean({ description: 'GoogLeNet and Inception v3: the file has the auxiliary classifiers' }),
    tensors: Type.Integer({ description: 'Tensors in the file' }),
    parameters: Type.Integer({ description: 'Trainable parameters the file holds (batch-norm statistics not counted)' }),
    bytes: Type.Integer(),
    createdAt: Timestamp,
    links: Type.Object({ self: Type.String() }),
  },
  { title: 'Weights' },
);
export type WeightsView = Static<typeof WeightsViewSchema>;

export const WeightsListSchema = Type.Object({ weights: Type.Array(WeightsViewSchema), nextCursor: Nullable(Type.String()) });
export type WeightsList = Static<typeof WeightsListSchema>;
export const ListWeightsQuerySchema = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListWeightsQuery = Static<typeof ListWeightsQuerySchema>;

/** Documents the multipart body; the route reads it as a stream (Fastify does not validate it). */
export const WeightsUploadSchema = Type.Object({
  file: Type.String({ format: 'binary', description: 'A torchvision state_dict: torch.save (zip or legacy format) or .safetensors' }),
  architecture: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The architecture the weights are for (GET /v1/architectures), e.g. resnet18',
  }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Default: the file's name" })),
});

export const uploadWeights = keyOperation(
  'POST',
  '/v1/weights',
  {
    operationId: 'uploadWeights',
    summary: 'Upload pretrained weights',
    description:
      'multipart/form-data: a `file` part (a torchvision state_dict saved by torch.save, in the zip or the legacy format, or a ' +
      '.safetensors file), an `architecture` field (for example resnet18) and an optional `name`. Every tensor is checked ' +
      'against the architecture; pickles are read without running them.',
    tags: ['weights'],
    multipartBody: WeightsUploadSchema,
    response: { 201: json('The weights, inspected', WeightsViewSchema, { location: Header.location }) },
  },
  [
    'validation_failed',
    'control_character',
    'unsupported_media_type',
    'upload_too_large',
    'upload_timeout',
    'concurrent_uploads_limit',
    'storage_quota_exceeded',
    'unknown_architecture',
    'invalid_option',
    'weights_unsafe',
    'weights_malformed',
    'weights_mismatch',
    'storage_unavailable',
  ],
);

export const listWeights = keyOperation(
  'GET',
  '/v1/weights',
  {
    operationId: 'listWeights',
    summary: 'List uploaded weights, newest first',
    tags: ['weights'],
    querystring: ListWeightsQuerySchema,
    response: { 200: json('A page of weights', WeightsListSchema) },
  },
  ['validation_failed'],
);

export const getWeights = keyOperation(
  'GET',
  '/v1/weights/{id}',
  {
    operationId: 'getWeights',
    summary: 'One upload of weights',
    tags: ['weights'],
    params: IdParams,
    response: { 200: json('The weights', WeightsViewSchema) },
  },
  ['validation_failed', 'not_found'],
);

export const deleteWeights = keyOperation(
  'DELETE',
  '/v1/weights/{id}',
  {
    operationId: 'deleteWeights',
    summary: 'Delete uploaded weights',
    description: 'Refused (409 weights_in_use) while a queued or running job starts from them; finished jobs keep their models.',
    tags: ['weights'],
    params: IdParams,
    response: { 204: empty('Deleted') },
  },
  ['validation_failed', 'not_found', 'weights_in_use', 'invalid_json', 'unsupported_media_type', 'payload_too_large'],
);

export const WEIGHTS_OPERATIONS = { uploadWeights, listWeights, getWeights, deleteWeights };
