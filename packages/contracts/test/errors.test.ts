import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ERROR_CATALOGUE, errorBody, isApiError, isErrorCode } from '../src/index.js';

test('every code has a 4xx or 5xx status and a message', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(code, /^[a-z0-9_]+$/);
    assert.ok(entry.httpStatus >= 400 && entry.httpStatus < 600, code);
    assert.ok(entry.message.length > 10, code);
  }
  for (const code of [
    'validation_failed',
    'not_found',
    'unauthorized',
    'idempotency_conflict',
    'job_not_cancellable',
    'dataset_invalid',
    'input_too_small',
    'unknown_architecture',
    'payload_too_large',
    'unsupported_media_type',
    'rate_limited',
    'queued_jobs_limit',
    'timeout',
    'cancelled',
    'storage_unavailable',
    'internal',
  ]) {
    assert.ok(isErrorCode(code), code);
  }
  assert.equal(ERROR_CATALOGUE.job_not_cancellable.httpStatus, 409);
});

test('ApiError carries its catalogue status and turns into the error body', () => {
  const error = new ApiError('queued_jobs_limit', 'too many', { limit: 3 });
  assert.ok(isApiError(error, 'queued_jobs_limit'));
  assert.equal(error.httpStatus, 429);
  assert.deepEqual(error.toBody(), { error: { code: 'queued_jobs_limit', message: 'too many', details: { limit: 3 } } });
  assert.deepEqual(new ApiError('not_found').toBody(), { error: { code: 'not_found', message: ERROR_CATALOGUE.not_found.message } });
  assert.deepEqual(errorBody('internal'), { error: { code: 'internal', message: ERROR_CATALOGUE.internal.message } });
  assert.equal(isErrorCode('toString'), false, 'prototype names are not codes');
});
