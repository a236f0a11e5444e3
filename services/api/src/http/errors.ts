/**
 * Every error answer has the shape { error: { code, message, details? } } with a code from the
 * catalogue (@trainyard/contracts). Fastify's own errors (bad JSON, 413, 415, validation, unknown
 * route), the rate limiter's, the multipart plugin's, the CNN package's and storage errors are all
 * translated here, in one place.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '@trainyard/contracts';
import { isDatabaseUnreachable } from '@trainyard/db';
import { OVER_LIMIT_CODES, OverLimitDelay } from './over-limit-delay.js';

/** Fastify and plugin error codes whose meaning we know. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_REQ_FILE_TOO_LARGE: 'upload_too_large',
  FST_PARTS_LIMIT: 'upload_too_large',
  FST_FILES_LIMIT: 'upload_too_large',
  FST_FIELDS_LIMIT: 'upload_too_large',
  FST_PROTO_VIOLATION: 'validation_failed',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
  FST_INVALID_JSON_FIELD_ERROR: 'validation_failed',
  FST_NO_FORM_DATA: 'validation_failed',
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  404: 'not_found',
  406: 'unsupported_media_type',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Ajv's errors as details a user can read: where, what rule, what it allows (never the value sent). */
export function validationDetails(errors: AjvError[], part = 'body'): Array<Record<string, unknown>> {
  return errors.slice(0, 20).map((error) => {
    const path = `${part}${(error.instancePath ?? '').replace(/\//g, '.')}`;
    const detail: Record<string, unknown> = { path, rule: error.keyword, message: error.message };
    const params = error.params ?? {};
    if (error.keyword === 'additionalProperties') detail.path = `${path}.${String(params.additionalProperty)}`;
    for (const key of ['limit', 'allowedValues', 'type', 'format', 'pattern', 'missingProperty', 'propertyName'] as const) {
      if (params[key] !== undefined) detail[key] = params[key];
    }
    return detail;
  });
}

/** Turns anything thrown into an ApiError; the second value says whether it is our bug (5xx). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as FastifyError & { validation?: AjvError[]; validationContext?: string; statusCode?: number };

  if (Array.isArray(e.validation)) {
    return new ApiError('validation_failed', undefined, validationDetails(e.validation, e.validationContext ?? 'body'));
  }
  const cnnCode = cnnErrorCode(error);
  if (cnnCode) return new ApiError(cnnCode, e.message, (error as { details?: unknown }).details);
  if (typeof e.code === 'string' && e.code.startsWith('storage_')) {
    return new ApiError('storage_unavailable', 'Object storage could not be reached; retry later.');
  }
  // Postgres down or restarting: a 503 the client may retry, not a 500.
  if (isDatabaseUnreachable(error)) return new ApiError('database_unavailable');
  const known = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = known ?? (status >= 400 && status < 500 ? (BY_STATUS[status] ?? 'validation_failed') : 'internal');
  if (code === 'internal') return new ApiError('internal');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ApiError(code, 'Send JSON with Content-Type: application/json, or a dataset upload as multipart/form-data.');
  }
  // Fastify's own messages are clear for these (e.g. "Body cannot be empty when content-type is set to 'application/json'").
  return new ApiError(code, e.message || ERROR_CATALOGUE[code].message);
}

/** The CNN package's errors (CnnError) are recognised by name and code, without importing tfjs. */
function cnnErrorCode(error: unknown): ErrorCode | null {
  const e = error as { name?: unknown; code?: unknown };
  if (e && e.name === 'CnnError' && isErrorCode(e.code)) return e.code;
  return null;
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  // Answers of Fastify's frameworkErrors skip the onSend hook that sets it elsewhere.
  reply.header('x-request-id', reply.request.id);
  // RFC 9110: a 401 says which scheme it wants.
  if (error.httpStatus === 401) reply.header('www-authenticate', 'Bearer realm="trainyard"');
  // The rest of a stalled upload is never read: the connection closes after this answer.
  if (error.code === 'upload_timeout') reply.header('connection', 'close');
  // 429 and 503 answers that know when to come back say so.
  const retryAfter = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(error.httpStatus).type('application/json; charset=utf-8').send(error.toBody());
}

/**
 * Whether `error` is the client going away: Node fails a request whose connection closes before its
 * body has arrived with "aborted" (code ECONNRESET), which would otherwise read as Postgres resetting
 * its connection (isDatabaseUnreachable follows cause chains). Only when the request itself was
 * aborted, so that a database reset during a request whose client is still there stays a 503.
 */
function isClientAbort(error: unknown, request: FastifyRequest): boolean {
  if (!request.raw.readableAborted && !request.raw.socket?.destroyed) return false;
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || message === 'aborted') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function registerErrorHandling(app: FastifyInstance, settings: { overLimitDelayMs: number } = { overLimitDelayMs: 0 }): void {
  const overLimit = new OverLimitDelay(settings.overLimitDelayMs);
  app.setErrorHandler((error, request: FastifyRequest, reply: FastifyReply) => {
    if (isClientAbort(error, request)) {
      // Nobody will read the answer; it is logged (and counted) as what it is, not as a failure of ours.
      request.log.info({ code: 'client_closed_request' }, 'the client closed the request');
      return sendError(reply, new ApiError('client_closed_request'));
    }
    let apiError = toApiError(error);
    if (apiError.code === 'payload_too_large' && apiError.details === undefined) {
      // Fastify's message does not say the limit; the route knows it.
      const limit = request.routeOptions.bodyLimit;
      apiError = new ApiError('payload_too_large', `The request body is larger than ${limit} bytes (BODY_LIMIT).`, {
        limit,
        variable: 'BODY_LIMIT',
      });
    }
    if (apiError.httpStatus >= 500) {
      request.log.error({ err: error, code: apiError.code }, 'request failed');
    } else {
      request.log.info({ code: apiError.code, status: apiError.httpStatus }, 'request refused');
    }
    if (OVER_LIMIT_CODES.has(apiError.code) && overLimit.delayMs > 0) {
      // Answered later (over-limit-delay.ts); returning nothing leaves the reply open until then.
      overLimit.answer(() => void sendError(reply, apiError));
      return;
    }
    return sendError(reply, apiError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`)),
  );
}
