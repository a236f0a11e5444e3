/**
 * Ajv as Fastify's validator, configured strictly: unknown fields are refused (removeAdditional: false)
 * and "4" is not the number 4 (coerceTypes: false). Fastify's defaults would silently strip the one
 * and convert the other. Query strings are the exception: every value in a URL is text, so they are
 * coerced (limit=10 is the number 10, and a parameter given once is a list of one where the schema
 * takes a list: ?tag=a:b).
 */
import { Ajv, type Options } from 'ajv';
import type { FastifyInstance } from 'fastify';

const COMMON: Options = {
  removeAdditional: false,
  useDefaults: false,
  allErrors: true,
  strict: false,
  // Defaults in our schemas are documentation; resolveJobSpec fills them in.
};

const urlParts = new Ajv({ ...COMMON, coerceTypes: 'array' });

/** The validator of a URL part (params, querystring), for routes that check their body elsewhere. */
export function compileUrlPartValidator(schema: object) {
  return urlParts.compile(schema);
}

const bodies = new Ajv({ ...COMMON, coerceTypes: false });

/** The validator of a JSON document checked as a body is (a sweep's trial specs). */
export function compileBodyValidator(schema: object) {
  return bodies.compile(schema);
}

export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodies : urlParts;
    return ajv.compile(schema);
  });
}
