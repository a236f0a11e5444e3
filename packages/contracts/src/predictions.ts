/**
 * POST /v1/jobs/{id}/predict: what it takes (multipart `images`, or JSON `instances`), its `top`
 * parameter and what it answers, as JSON Schema for validation, serialization and the OpenAPI document.
 */

export const DEFAULT_PREDICT_TOP = 5;
/** Most classes one prediction may list (`top`); more than the model has gives them all. */
export const MAX_PREDICT_TOP = 1000;

export interface ClassProbability {
  index: number;
  class: string;
  probability: number;
}

export interface Prediction {
  top: ClassProbability[];
}

/** The answer, one prediction per input in input order. */
export interface PredictResponse {
  predictions: Prediction[];
}

export interface PredictQuery {
  top?: number;
}

export const predictQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    top: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PREDICT_TOP,
      default: DEFAULT_PREDICT_TOP,
      description: 'How many classes each prediction lists, most probable first.',
    },
  },
} as const;

export const predictInstancesSchema = {
  type: 'object',
  required: ['instances'],
  additionalProperties: false,
  properties: {
    instances: {
      type: 'array',
      minItems: 1,
      description: "Each instance is an H x W x C array of pixels in [0, 1], of the model's input shape (GET /v1/jobs/{id}/model/manifest.json says it).",
      items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } } } },
    },
  },
} as const;

export const predictImagesSchema = {
  type: 'object',
  required: ['images'],
  properties: {
    images: {
      type: 'array',
      description: "PNG or JPEG files (one part each, named images), resized to the model's input and scaled as in training.",
      items: { type: 'string', format: 'binary' },
    },
  },
} as const;

export const predictResponseSchema = {
  type: 'object',
  required: ['predictions'],
  additionalProperties: false,
  properties: {
    predictions: {
      type: 'array',
      description: 'One per input, in input order.',
      items: {
        type: 'object',
        required: ['top'],
        additionalProperties: false,
        properties: {
          top: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'class', 'probability'],
              additionalProperties: false,
              properties: {
                index: { type: 'integer', minimum: 0, description: 'Class index in the model output.' },
                class: { type: 'string', description: "The class's name in the dataset." },
                probability: { type: 'number', minimum: 0, maximum: 1 },
              },
            },
          },
        },
      },
    },
  },
} as const;
