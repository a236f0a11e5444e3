/**
 * The building blocks of every operation's schemas (TypeBox: JSON Schema with static types). One
 * operation is one object: its method, its OpenAPI path, and the Fastify route schema (operationId,
 * request parts, and every response with its headers), from which Fastify validates and serializes
 * and @fastify/swagger writes the OpenAPI document. Error answers are declared by catalogue code:
 * `errors('not_found', 'job_not_finished')` documents 404 and 409 with exactly those codes.
 */
import { Type, type SchemaOptions, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.js';

export const Nullable = <T extends TSchema>(schema: T, options?: SchemaOptions) => Type.Union([schema, Type.Null()], options);

/** One of the given strings, as `{ type: 'string', enum }` (a union of literals would spell each one out). */
export const StringEnum = <const T extends readonly string[]>(values: T, options?: SchemaOptions) =>
  Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });

/** [height, width, channels] (an array of three: a JSON Schema 2020-12 tuple would not read as OpenAPI 3.0). */
export const Shape3 = (options: SchemaOptions = {}) =>
  Type.Unsafe<[number, number, number]>({
    description: '[height, width, channels]',
    ...options,
    type: 'array',
    items: { type: 'integer', minimum: 1 },
    minItems: 3,
    maxItems: 3,
  });

/** A route that takes no query parameters refuses unknown ones (400) instead of ignoring them. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

/** The form of every id the service gives out (Postgres uuids); anything else is no id of ours. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID = new RegExp(UUID_PATTERN);

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Path parameter `id` of /v1 resources: any id is looked up (an unknown one answers 404). */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
};

const HttpStatusByCode = ERROR_CATALOGUE as Record<ErrorCode, { httpStatus: number; message: string }>;

/** The body of every error answer, its `code` limited to the codes one status of one route can carry. */
export function ErrorBodySchema(codes: readonly ErrorCode[] = Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
  return Type.Object(
    {
      error: Type.Object({
        code: StringEnum(codes),
        message: Type.String(),
        details: Type.Optional(Type.Unknown({ description: 'Which field, which limit; depends on the code' })),
      }),
    },
    { title: 'ErrorBody' },
  );
}

/** Response headers, by name (lower case, as Node sends them). */
export const Header = {
  location: Type.String({ description: 'The URL of the created resource' }),
  requestId: Type.String({ description: 'The id of this request, also in the service log' }),
  retryAfter: Type.String({ description: 'Seconds to wait before retrying' }),
  rateLimitLimit: Type.String({ description: 'Requests a minute this API key may make (RATE_LIMIT_PER_MINUTE)' }),
  rateLimitRemaining: Type.String({ description: 'Requests this API key may send now, at once (at most RATE_LIMIT_BURST)' }),
  rateLimitReset: Type.String({ description: 'Seconds until this API key may send RATE_LIMIT_BURST requests at once again' }),
  wwwAuthenticate: Type.String({ description: 'Bearer realm="trainyard"' }),
  idempotentReplayed: Type.Literal('true', {
    description: 'Present when the answer is the replay of an earlier request with the same Idempotency-Key',
  }),
  contentDisposition: Type.String({ description: 'attachment or inline, with the file name' }),
} as const;

type Headers = Record<string, TSchema>;

/** Headers every answer of an API-key route has (the rate-limit ones when RATE_LIMIT_PER_MINUTE > 0). */
export const KEY_ROUTE_HEADERS: Headers = {
  'x-request-id': Header.requestId,
  'x-ratelimit-limit': Header.rateLimitLimit,
  'x-ratelimit-remaining': Header.rateLimitRemaining,
  'x-ratelimit-reset': Header.rateLimitReset,
};
export const PUBLIC_HEADERS: Headers = { 'x-request-id': Header.requestId };

export interface ResponseSpec<T extends TSchema = TSchema, M extends string = string> {
  description: string;
  headers: Headers;
  content: { [K in M]: { schema: T } };
}

/** A JSON answer. */
export function json<T extends TSchema>(description: string, schema: T, headers: Headers = {}): ResponseSpec<T, 'application/json'> {
  return { description, headers, content: { 'application/json': { schema } } };
}

/** An answer that is not JSON (a download, an event stream, Prometheus text). */
export function media<M extends string>(
  description: string,
  mediaType: M,
  headers: Headers = {},
  schema: TSchema = Type.String({ format: 'binary' }),
) {
  return { description, headers, content: { [mediaType]: { schema } } as { [K in M]: { schema: TSchema } } };
}

/** An answer without a body (204). */
export function empty(description: string, headers: Headers = {}) {
  return { description, headers, type: 'null' as const };
}

const STATUS_HEADERS: Record<number, Headers> = {
  401: { 'www-authenticate': Header.wwwAuthenticate },
  429: { 'retry-after': Header.retryAfter },
  503: { 'retry-after': Header.retryAfter },
};

/**
 * The error answers of the given catalogue codes, one response per HTTP status, each listing its
 * codes (so an answer with a code the route does not declare fails the contract tests).
 */
export function errors(...codes: ErrorCode[]): Record<number, ResponseSpec<ReturnType<typeof ErrorBodySchema>, 'application/json'>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = HttpStatusByCode[code].httpStatus;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ResponseSpec<ReturnType<typeof ErrorBodySchema>, 'application/json'>> = {};
  for (const [status, statusCodes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const description = statusCodes.map((code) => `\`${code}\`: ${HttpStatusByCode[code].message}`).join(' ');
    responses[status] = json(description, ErrorBodySchema(statusCodes), STATUS_HEADERS[status] ?? {});
  }
  return responses;
}

export type ErrorBodyView = Static<ReturnType<typeof ErrorBodySchema>>;

/** What every /v1 route can answer besides its own errors: no key, too many requests, the database down, a bug. */
export const KEY_ROUTE_ERRORS: ErrorCode[] = ['unauthorized', 'rate_limited', 'auth_failures_limit', 'database_unavailable', 'internal'];
/** A route with a JSON body: the body itself can be refused before the route's own checks. */
export const BODY_ERRORS: ErrorCode[] = [
  'invalid_json',
  'validation_failed',
  'payload_too_large',
  'unsupported_media_type',
  'control_character',
];

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

export interface OperationSchema {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  params?: TSchema;
  querystring?: TSchema;
  headers?: TSchema;
  body?: TSchema;
  /** A multipart/form-data body, for the document only: the route reads the parts as streams. */
  multipartBody?: TSchema;
  response: Record<number, unknown>;
}

export interface Operation<S extends OperationSchema = OperationSchema> {
  method: HttpMethod;
  /** As OpenAPI spells it: /v1/jobs/{id}. */
  path: string;
  schema: S;
}

/**
 * An operation of the tenant API (/v1, "Authorization: Bearer <API key>"). The common errors and
 * headers are added to every response; `errorCodes` are the route's own.
 */
export function keyOperation<S extends OperationSchema>(
  method: HttpMethod,
  path: string,
  schema: S,
  errorCodes: ErrorCode[] = [],
): Operation<S> {
  return { method, path, schema: withCommon(schema, [...KEY_ROUTE_ERRORS, ...errorCodes], KEY_ROUTE_HEADERS) };
}

/** An operation anyone may call (health, metrics): `security: []`. */
export function publicOperation<S extends OperationSchema>(
  method: HttpMethod,
  path: string,
  schema: S,
  errorCodes: ErrorCode[] = [],
): Operation<S> {
  const strict = { querystring: NoQuery, ...schema, security: [] };
  return { method, path, schema: withCommon(strict, ['validation_failed', 'internal', ...errorCodes], PUBLIC_HEADERS) };
}

/** An operation of the admin API (/admin/v1, "Authorization: Bearer <ADMIN_TOKEN>"), present when ADMIN_TOKEN is set. */
export function adminOperation<S extends OperationSchema>(
  method: HttpMethod,
  path: string,
  schema: S,
  errorCodes: ErrorCode[] = [],
): Operation<S> {
  return {
    method,
    path,
    schema: withCommon(
      { ...schema, security: [{ adminToken: [] }] },
      ['unauthorized', 'database_unavailable', 'internal', ...errorCodes],
      PUBLIC_HEADERS,
    ),
  };
}

function withCommon<S extends OperationSchema>(schema: S, errorCodes: ErrorCode[], headers: Headers): S {
  const response: Record<number, unknown> = { ...errors(...errorCodes), ...schema.response };
  for (const [status, spec] of Object.entries(response)) {
    const withHeaders = spec as { headers?: Headers };
    response[Number(status)] = { ...withHeaders, headers: { ...headers, ...withHeaders.headers } };
  }
  return { ...schema, response };
}
