/**
 * The only body parser besides multipart: JSON, checked to be valid UTF-8 first (Node would otherwise
 * turn bad bytes into U+FFFD silently and we would store text the client never sent). Other content
 * types answer 415. An empty body parses as `undefined`, so routes without a body (cancel) accept it;
 * routes that need one say so.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '@trainyard/contracts';
import { assertStorableText } from './stored-text.js';

export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  for (const type of ['application/json', /^application\/[a-z0-9.+-]+\+json$/i]) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, parseJson);
  }
}

function parseJson(_request: unknown, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  if (body.length === 0) return done(null, undefined);
  if (!isUtf8(body)) return done(new ApiError('invalid_json', 'The request body is not valid UTF-8.'));
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return done(new ApiError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`));
  }
  try {
    assertStorableText(value, 'body');
  } catch (error) {
    return done(error as Error);
  }
  done(null, value);
}

/** For routes that need a JSON body: a missing one is `invalid_json`, not a schema error. */
export async function requireJsonBody(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null) {
    throw new ApiError('invalid_json', 'The request body is empty; send a JSON object with Content-Type: application/json.');
  }
}
