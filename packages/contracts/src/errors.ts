/**
 * The one catalogue of error codes the service can answer with or store on a failed job. Every code
 * has the HTTP status the API uses when it raises it and a default message a user can act on; a
 * thrown error may carry a more precise message and `details`.
 *
 * The CNN package raises a subset of these codes (CNN_ERROR_CODES in packages/cnn/src/errors.ts, checked
 * against this list by the compiler); the worker stores them on failed jobs and the API can raise some
 * of them (a dataset upload that its readers refuse).
 */
export const ERROR_CATALOGUE = {
  // -- requests
  validation_failed: { httpStatus: 400, message: 'The request does not match the schema; see details.' },
  invalid_json: { httpStatus: 400, message: 'The request body is empty, not valid JSON, or not valid UTF-8.' },
  unauthorized: { httpStatus: 401, message: 'Send a valid API key as "Authorization: Bearer <key>".' },
  not_found: { httpStatus: 404, message: 'No such resource.' },
  idempotency_conflict: {
    httpStatus: 409,
    message: 'This Idempotency-Key was already used with a different request body.',
  },
  job_not_cancellable: { httpStatus: 409, message: 'The job has already finished and cannot be cancelled.' },
  job_not_deletable: {
    httpStatus: 409,
    message: 'The job is queued or running, or a queued or running job starts from its model; cancel it or wait.',
  },
  job_not_finished: { httpStatus: 409, message: 'The job has not succeeded, so this result does not exist yet.' },
  sweep_not_cancellable: { httpStatus: 409, message: 'The sweep has already finished and cannot be cancelled.' },
  dataset_in_use: { httpStatus: 409, message: 'The dataset is used by a queued or running job.' },
  weights_in_use: { httpStatus: 409, message: 'The weights are used by a queued or running job.' },
  unsupported_media_type: { httpStatus: 415, message: 'The Content-Type is not accepted by this route.' },
  control_character: {
    httpStatus: 400,
    message: 'A text value contains a NUL or other control character, or an unpaired surrogate; such text is never stored.',
  },
  invalid_tag: {
    httpStatus: 400,
    message:
      'A tag key is 1 to 64 letters, digits, ".", "_", "-" or "/", and a tag value a string of at most 256 characters (null only in PATCH, to delete the key).',
  },
  client_closed_request: {
    httpStatus: 499,
    message: 'The client closed its connection before the request was answered; the request was abandoned.',
  },
  upload_timeout: {
    httpStatus: 408,
    message: 'The upload sent nothing for UPLOAD_IDLE_TIMEOUT_SECONDS, or took longer than REQUEST_TIMEOUT_SECONDS.',
  },

  // -- limits: each has its own code, and its answer says the limit (details.limit) and its variable
  payload_too_large: { httpStatus: 413, message: 'The JSON request body is larger than BODY_LIMIT.' },
  upload_too_large: { httpStatus: 413, message: 'The dataset upload is larger than UPLOAD_LIMIT, or has too many parts.' },
  rate_limited: {
    httpStatus: 429,
    message: 'More requests a minute for this API key than RATE_LIMIT_PER_MINUTE, or more at once than RATE_LIMIT_BURST; retry later.',
  },
  queued_jobs_limit: {
    httpStatus: 429,
    message: 'The tenant has as many queued jobs as MAX_QUEUED_JOBS_PER_TENANT allows; submit more once some have started.',
  },
  running_jobs_limit: {
    httpStatus: 429,
    message: 'The tenant has as many running jobs as MAX_RUNNING_JOBS_PER_TENANT allows; the job waits in the queue.',
  },
  auth_failures_limit: {
    httpStatus: 429,
    message: 'Too many requests with unknown or revoked API keys from this address (AUTH_FAILURES_PER_MINUTE); retry later.',
  },
  concurrent_requests_limit: {
    httpStatus: 429,
    message:
      'The tenant already has as many requests in progress as MAX_CONCURRENT_REQUESTS_PER_TENANT allows, and 100 more waiting for their turn; retry later.',
  },
  event_streams_limit: {
    httpStatus: 429,
    message: 'The tenant has as many open event streams as MAX_EVENT_STREAMS_PER_TENANT allows; close some first.',
  },
  concurrent_uploads_limit: {
    httpStatus: 429,
    message: 'The tenant has as many uploads in progress as MAX_CONCURRENT_UPLOADS_PER_TENANT allows; retry when one has finished.',
  },
  storage_quota_exceeded: {
    httpStatus: 413,
    message: "The tenant's datasets, weights, checkpoints and models would exceed TENANT_STORAGE_QUOTA; delete some first.",
  },
  image_pixels_limit: {
    httpStatus: 413,
    message: 'An image is larger (width x height, read from its header before decoding) than MAX_IMAGE_PIXELS allows.',
  },
  archive_pixels_limit: {
    httpStatus: 413,
    message:
      'The images of one archive have more pixels together (width x height from each header, before decoding) than MAX_ARCHIVE_PIXELS allows.',
  },
  classes_limit: { httpStatus: 422, message: 'The dataset has more classes than MAX_CLASSES allows.' },
  webhooks_limit: { httpStatus: 429, message: 'The tenant has as many webhooks as MAX_WEBHOOKS_PER_TENANT allows; delete some first.' },
  datasets_limit: { httpStatus: 429, message: 'The tenant keeps as many datasets as MAX_DATASETS_PER_TENANT allows; delete some first.' },
  predict_images_limit: { httpStatus: 413, message: 'More images in one prediction request than PREDICT_MAX_IMAGES allows; split it.' },
  predict_body_too_large: {
    httpStatus: 413,
    message: 'The prediction request is larger than PREDICT_BODY_LIMIT; send fewer or smaller images.',
  },
  concurrent_predictions_limit: {
    httpStatus: 429,
    message: 'The tenant has as many prediction requests running as MAX_CONCURRENT_PREDICTIONS_PER_TENANT allows; retry when one ends.',
  },
  tags_limit: {
    httpStatus: 422,
    message: 'A job carries at most 50 tags; delete some (PATCH /v1/jobs/{id} with a null value) before adding more.',
  },
  hyperparameter_limit: {
    httpStatus: 400,
    message: 'A value is above a limit of this service (MAX_EPOCHS, MAX_BATCH_SIZE or MAX_RUNTIME_SECONDS); see details.',
  },

  // -- what a job asks for
  unknown_architecture: { httpStatus: 400, message: 'The architecture name is not in the catalog.' },
  invalid_option: { httpStatus: 400, message: 'A model, training or dataset option is out of range or of the wrong type.' },
  input_too_small: { httpStatus: 422, message: 'The dataset images are smaller than the architecture accepts.' },
  input_too_large: { httpStatus: 422, message: 'The dataset images are larger than this service accepts.' },
  model_too_large: {
    httpStatus: 422,
    message: 'The model and batch size need more memory than a worker has; choose a smaller batch or model.',
  },
  fine_tune_source_invalid: {
    httpStatus: 422,
    message:
      'model.pretrained (or fineTuneFrom) must name weights or a succeeded job of this tenant for the same architecture, without smallInput, on 3-channel images for weights.',
  },
  export_unsupported: {
    httpStatus: 422,
    message: 'This model cannot be exported in the requested format (safetensors needs a torchvision architecture without smallInput).',
  },
  prediction_input_invalid: {
    httpStatus: 422,
    message:
      "A prediction input does not fit the model: instances must be H x W x C arrays of numbers in [0, 1] of the model's input shape.",
  },
  predict_model_too_large: {
    httpStatus: 422,
    message: "The model needs more memory than PREDICT_CACHE_MEMORY gives the prediction processes' model cache.",
  },
  dataset_not_ready: { httpStatus: 409, message: 'The dataset is still being uploaded.' },
  webhook_url_refused: {
    httpStatus: 422,
    message:
      'The webhook URL must be http(s) without credentials, and its host must resolve only to public addresses (WEBHOOK_ALLOW_PRIVATE allows private ones).',
  },

  // -- datasets (the CNN package's readers)
  dataset_invalid: { httpStatus: 422, message: 'The uploaded dataset is not a valid dataset; see details.' },
  dataset_malformed: { httpStatus: 422, message: 'A dataset file is truncated, inconsistent or not in the claimed format.' },
  dataset_unsafe_path: { httpStatus: 422, message: 'An archive entry would escape its folder (absolute path, "..", or a link).' },
  dataset_unsupported: { httpStatus: 415, message: 'The dataset format or image type is not supported.' },
  dataset_unavailable: {
    httpStatus: 503,
    message: 'The built-in dataset is not installed on the worker (see FASHION_MNIST_DIR).',
  },
  dataset_too_large: {
    httpStatus: 413,
    message: 'A dataset exceeds a size limit (archive entries, uncompressed bytes, image pixels or memory).',
  },

  // -- pretrained weights (the CNN package's readers)
  weights_unsafe: {
    httpStatus: 422,
    message: "The weights file's pickle calls something torch.load(weights_only=True) would refuse; it was not run.",
  },
  weights_malformed: { httpStatus: 422, message: 'The weights file is truncated, inconsistent, or not a PyTorch or safetensors file.' },
  weights_mismatch: {
    httpStatus: 422,
    message: 'The weights do not fit the architecture; details.tensors lists each { name, expected, got }.',
  },

  // -- how a job ended (stored on failed or cancelled jobs)
  timeout: { httpStatus: 408, message: 'The job ran longer than its maxRuntimeSeconds; its last checkpoint is kept.' },
  cancelled: { httpStatus: 409, message: 'The job was cancelled.' },
  aborted: { httpStatus: 409, message: 'Training was stopped before it finished.' },
  checkpoint_invalid: { httpStatus: 500, message: 'A checkpoint is corrupt or belongs to a different model or configuration.' },
  engine_unavailable: { httpStatus: 503, message: 'The requested TensorFlow.js engine cannot be loaded on this worker.' },
  out_of_memory: { httpStatus: 507, message: 'The worker ran out of memory; choose a smaller batch size or model.' },
  training_diverged: { httpStatus: 422, message: 'The loss became NaN or infinite; lower the learning rate.' },
  no_trial_succeeded: { httpStatus: 422, message: "No trial of the sweep succeeded; see its trials' errors." },
  worker_lost: { httpStatus: 500, message: 'The worker running the job disappeared too many times; the job was given up.' },

  // -- the service itself
  storage_unavailable: { httpStatus: 503, message: 'Object storage is unavailable; retry later.' },
  queue_unavailable: { httpStatus: 503, message: 'The job queue is unavailable; retry later.' },
  database_unavailable: { httpStatus: 503, message: 'The database is unavailable; retry later.' },
  predictor_unavailable: { httpStatus: 503, message: 'The prediction process failed or could not start; retry later.' },
  not_ready: { httpStatus: 503, message: 'A dependency of the service is not reachable.' },
  internal: { httpStatus: 500, message: 'An internal error occurred; it was logged.' },
} as const satisfies Record<string, { httpStatus: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An error with a catalogue code; the API turns it into an ErrorBody with the code's HTTP status. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'ApiError';
    this.code = code;
    this.httpStatus = ERROR_CATALOGUE[code].httpStatus;
    this.details = details;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function isApiError(error: unknown, code?: ErrorCode): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

export function errorBody(code: ErrorCode, message?: string, details?: unknown): ErrorBody {
  const error: ErrorBody['error'] = { code, message: message ?? ERROR_CATALOGUE[code].message };
  if (details !== undefined) error.details = details;
  return { error };
}
