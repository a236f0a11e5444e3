/**
 * POST /v1/jobs/{id}/predict: what it takes (multipart `images`, or JSON `instances`), its `top`
 * parameter and what it answers. The body is documented here and checked in the API's inference
 * processes (parsing a large JSON body is not the event loop's work).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, StringEnum, json, keyOperation } from './common.js';

export const DEFAULT_PREDICT_TOP = 5;
/** Most classes one prediction may list (`top`); more than the model has gives them all. */
export const MAX_PREDICT_TOP = 1000;

export const ClassProbabilitySchema = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: "The class's index in the model output" }),
    class: Type.String({ description: "The class's name in the dataset" }),
    probability: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);

export const PredictionSchema = Type.Object(
  { top: Type.Array(ClassProbabilitySchema, { description: 'The `top` most probable classes, most probable first' }) },
  { additionalProperties: false },
);
export type PredictionView = Static<typeof PredictionSchema>;

export const PredictionsSchema = Type.Object(
  { predictions: Type.Array(PredictionSchema, { description: 'One per input, in input order' }) },
  { additionalProperties: false },
);
export type PredictionsView = Static<typeof PredictionsSchema>;

export const PredictQuery = Type.Object(
  {
    top: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PREDICT_TOP,
        default: DEFAULT_PREDICT_TOP,
        description: 'How many classes each prediction lists',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PredictInstancesSchema = Type.Object(
  {
    instances: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number({ minimum: 0, maximum: 1 })))), {
      minItems: 1,
      description:
        "H x W x C arrays of pixels in [0, 1], of the model's input shape (its manifest.json says it); at most PREDICT_MAX_IMAGES",
    }),
  },
  { additionalProperties: false },
);

export const PredictImagesSchema = Type.Object({
  images: Type.Array(Type.String({ format: 'binary' }), {
    description: "PNG or JPEG files, one part each, resized to the model's input and scaled as in training; at most PREDICT_MAX_IMAGES",
  }),
});

export const predictWithJobModel = keyOperation(
  'POST',
  '/v1/jobs/{id}/predict',
  {
    operationId: 'predictWithJobModel',
    summary: "Classify images with a succeeded job's model",
    description:
      "Multipart `images` (PNG or JPEG) or JSON `instances`. The images are decoded, converted to the model's channels, " +
      'resized and scaled as in training; the model applies its own normalisation. The first call for a model loads it ' +
      '(`x-model-cache: miss`); the least recently used models are unloaded when PREDICT_CACHE_MEMORY is full.',
    tags: ['models'],
    params: IdParams,
    querystring: PredictQuery,
    consumes: ['multipart/form-data', 'application/json'],
    body: Type.Unsafe<unknown>({
      content: {
        'multipart/form-data': { schema: PredictImagesSchema },
        'application/json': { schema: PredictInstancesSchema },
      },
    }),
    response: {
      200: json('One prediction per input, in input order', PredictionsSchema, {
        'x-model-cache': StringEnum(['hit', 'miss'] as const, {
          description: 'hit: the model was loaded already; miss: it was loaded for this request',
        }),
      }),
    },
  },
  [
    'validation_failed',
    'invalid_json',
    'unsupported_media_type',
    'not_found',
    'job_not_finished',
    'predict_images_limit',
    'predict_body_too_large',
    'concurrent_predictions_limit',
    'prediction_input_invalid',
    'predict_model_too_large',
    'dataset_malformed',
    'dataset_unsupported',
    'dataset_too_large',
    'image_pixels_limit',
    'storage_unavailable',
    'predictor_unavailable',
  ],
);
