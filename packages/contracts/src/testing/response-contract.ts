/**
 * Checks an answer the API really gave against the OpenAPI document it publishes: the status is one
 * the operation documents, the body matches that status's schema for its media type, an error's code
 * is one the operation lists, and the headers the API sets are documented (and the required ones are
 * there). The end-to-end tests run every response through it, so an undocumented status, code, header
 * or field fails the test that saw it, with a message that says which schema to fix.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { JobEventSchema } from '../schemas/events.js';
import { JobLogEndSchema, JobLogLineSchema } from '../schemas/logs.js';

/** Headers the API sets on purpose; each must be documented on the response that carries it. */
const WATCHED_HEADERS = [
  'location',
  'idempotent-replayed',
  'retry-after',
  'www-authenticate',
  'x-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'content-disposition',
];

interface MediaObject {
  schema?: Record<string, unknown>;
}
interface ResponseObject {
  headers?: Record<string, { required?: boolean; schema?: Record<string, unknown> }>;
  content?: Record<string, MediaObject>;
}
interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths?: Record<string, Record<string, OperationObject>>;
}

export interface ObservedResponse {
  method: string;
  /** The request URL (a query string is ignored). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The raw body; a streamed body (event stream, download) may be passed as ''. */
  body: string;
}

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

export class ResponseContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly routes: Array<{ pattern: RegExp; path: string; operations: Record<string, OperationObject> }>;
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    // Fewer parameters first, as the router matches: /v1/jobs/compare before /v1/jobs/{id}.
    const parameters = (path: string) => path.split('{').length;
    this.routes = Object.entries(document.paths ?? {})
      .sort(([a], [b]) => parameters(a) - parameters(b))
      .map(([path, operations]) => ({
        path,
        operations,
        pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, '[^/]+')}$`),
      }));
  }

  /** The document path and operation an answer belongs to; null for a URL the document does not describe (an unknown route). */
  find(method: string, url: string): { path: string; operation: OperationObject } | null {
    const pathname = url.split('?')[0]!;
    for (const route of this.routes) {
      if (!route.pattern.test(pathname)) continue;
      const operation = route.operations[method.toLowerCase() === 'head' ? 'get' : method.toLowerCase()];
      if (operation) return { path: route.path, operation };
    }
    return null;
  }

  /** The problems with one answer; empty when it matches the document. */
  check(response: ObservedResponse): string[] {
    const found = this.find(response.method, response.url);
    if (!found) return [];
    const { path, operation } = found;
    const name = `${response.method.toUpperCase()} ${path} (${operation.operationId ?? 'no operationId'})`;
    const documented = operation.responses?.[String(response.status)];
    if (!documented) {
      const code = errorCode(response.body);
      return [
        `${name} answered ${response.status}${code ? ` with code ${code}` : ''}, a status it does not document ` +
          `(it documents ${Object.keys(operation.responses ?? {}).join(', ')}): list ${code ? `'${code}'` : 'the code'} in the operation's error codes in packages/contracts/src/schemas`,
      ];
    }
    return [...this.checkHeaders(name, response, documented), ...this.checkBody(name, response, documented)];
  }

  private checkHeaders(name: string, response: ObservedResponse, documented: ResponseObject): string[] {
    const problems: string[] = [];
    const headers = documented.headers ?? {};
    for (const header of WATCHED_HEADERS) {
      if (response.headers[header] !== undefined && !headers[header]) {
        problems.push(
          `${name} ${response.status}: header ${header} is sent but not documented on this response (add it to the response's headers)`,
        );
      }
    }
    for (const [header, spec] of Object.entries(headers)) {
      const value = response.headers[header.toLowerCase()];
      if (value === undefined) {
        if (spec.required) problems.push(`${name} ${response.status}: the required header ${header} is missing`);
        continue;
      }
      if (spec.schema) {
        const valid = this.validator(spec.schema);
        if (!valid(String(value)))
          problems.push(
            `${name} ${response.status}: header ${header}: "${String(value)}" ${this.ajv.errorsText(valid.errors, { dataVar: header })}`,
          );
      }
    }
    return problems;
  }

  private checkBody(name: string, response: ObservedResponse, documented: ResponseObject): string[] {
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!documented.content) {
      return response.body.length > 0
        ? [`${name} ${response.status}: a body of ${response.body.length} bytes (${contentType}) where the document says none`]
        : [];
    }
    const media = documented.content[contentType];
    if (!media) {
      return [
        `${name} ${response.status}: content type "${contentType}" is not documented (documented: ${Object.keys(documented.content).join(', ')})`,
      ];
    }
    if (!contentType.endsWith('json') || !media.schema || response.body === '') return [];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [`${name} ${response.status}: the body is not JSON: ${response.body.slice(0, 100)}`];
    }
    const valid = this.validator(media.schema);
    if (valid(body)) return [];
    return (valid.errors ?? []).slice(0, 10).map((error) => {
      const where = `body${error.instancePath.replace(/\//g, '.')}`;
      const allowed =
        error.keyword === 'enum'
          ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}), got ${JSON.stringify(pick(body, error.instancePath))}`
          : '';
      return `${name} ${response.status}: ${where} ${error.message}${allowed}`;
    });
  }

  /**
   * The problems with one event of a job's event stream (its SSE `event` name and `data` line), or of
   * a followed job log (`line` and `end` events, schemas/logs.ts).
   */
  checkEvent(event: string, data: string): string[] {
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      return [`event stream: the data of a ${event} event is not JSON: ${data.slice(0, 100)}`];
    }
    const logSchema = event === 'line' ? JobLogLineSchema : event === 'end' ? JobLogEndSchema : null;
    if (logSchema) {
      const valid = this.validator(logSchema as unknown as Record<string, unknown>);
      return valid(body)
        ? []
        : [
            `log stream: a ${event} event does not match its schema (packages/contracts/src/schemas/logs.ts): ${this.ajv.errorsText(valid.errors, { dataVar: 'data' })}`,
          ];
    }
    const valid = this.validator(JobEventSchema as unknown as Record<string, unknown>);
    const problems = valid(body)
      ? []
      : [
          `event stream: a ${event} event does not match JobEventSchema (packages/contracts/src/schemas/events.ts): ${this.ajv.errorsText(valid.errors, { dataVar: 'data' })}`,
        ];
    if ((body as { type?: unknown }).type !== event)
      problems.push(`event stream: event "${event}" carries data of type ${JSON.stringify((body as { type?: unknown }).type)}`);
    return problems;
  }

  private validator(schema: Record<string, unknown>): ValidateFunction {
    let valid = this.validators.get(schema);
    if (!valid) {
      valid = this.ajv.compile(schema);
      this.validators.set(schema, valid);
    }
    return valid;
  }
}

function errorCode(body: string): string | null {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

function pick(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (current, key) => (current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined),
      value,
    );
}
