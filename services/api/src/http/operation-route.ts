/**
 * Routes are registered from the operations of @trainyard/contracts: the path, method and schemas
 * come from there, so that the route Fastify serves and the operation the OpenAPI document and the
 * client describe cannot differ. Handlers are typed by the schemas (TypeBox type provider).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Operation, OperationSchema } from '@trainyard/contracts';

/** The scope typed by TypeBox schemas. */
export function typed(scope: FastifyInstance) {
  return scope.withTypeProvider<TypeBoxTypeProvider>();
}

/** `method`, `url` (relative to the scope's prefix, in Fastify's :param form) and `schema` of an operation. */
export function routeOf<S extends OperationSchema>(operation: Operation<S>, scope: FastifyInstance) {
  const prefix = scope.prefix;
  if (!operation.path.startsWith(prefix))
    throw new Error(`${operation.schema.operationId}: ${operation.path} is not under ${prefix || '/'}`);
  const url = operation.path.slice(prefix.length).replace(/\{([^}]+)\}/g, ':$1') || '/';
  return { method: operation.method, url, schema: operation.schema };
}
