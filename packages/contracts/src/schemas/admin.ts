/** /admin/v1, present when ADMIN_TOKEN is set: tenants and their API keys. */
import { Type, type Static } from '@sinclair/typebox';
import { TENANT_NAME_PATTERN, TENANT_NAME_RULE } from '../tenant.js';
import { uuidSchema } from '../job-spec.js';
import { BODY_ERRORS, Nullable, Timestamp, adminOperation, empty, json } from './common.js';

const TenantName = Type.String({ pattern: TENANT_NAME_PATTERN, description: TENANT_NAME_RULE });

export const TenantViewSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }), name: Type.String(), createdAt: Timestamp },
  { title: 'Tenant' },
);
export type TenantView = Static<typeof TenantViewSchema>;

export const ApiKeyViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
    tenant: Type.String(),
    createdAt: Timestamp,
    revokedAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
  },
  { title: 'ApiKey' },
);
export type ApiKeyView = Static<typeof ApiKeyViewSchema>;
export const CreatedApiKeySchema = Type.Composite([
  ApiKeyViewSchema,
  Type.Object({ key: Type.String({ description: 'The key itself, shown in this answer only' }) }),
]);
export type CreatedApiKey = Static<typeof CreatedApiKeySchema>;

export const listTenants = adminOperation('GET', '/admin/v1/tenants', {
  operationId: 'listTenants',
  summary: 'List tenants',
  tags: ['admin'],
  response: { 200: json('The tenants', Type.Object({ tenants: Type.Array(TenantViewSchema) })) },
});

export const createTenant = adminOperation(
  'POST',
  '/admin/v1/tenants',
  {
    operationId: 'createTenant',
    summary: 'Create a tenant (200 with the existing one if the name is taken)',
    tags: ['admin'],
    body: Type.Object({ name: TenantName }, { additionalProperties: false }),
    response: { 200: json('The tenant already existed', TenantViewSchema), 201: json('Created', TenantViewSchema) },
  },
  [...BODY_ERRORS],
);

export const createApiKey = adminOperation(
  'POST',
  '/admin/v1/keys',
  {
    operationId: 'createApiKey',
    summary: 'Create an API key for a tenant (and the tenant if new); the key is in this answer only',
    tags: ['admin'],
    body: Type.Object({ tenant: TenantName }, { additionalProperties: false }),
    response: { 201: json('Created', CreatedApiKeySchema) },
  },
  [...BODY_ERRORS],
);

export const listApiKeys = adminOperation(
  'GET',
  '/admin/v1/keys',
  {
    operationId: 'listApiKeys',
    summary: "A tenant's keys (prefixes and dates, never the keys)",
    tags: ['admin'],
    querystring: Type.Object({ tenant: TenantName }, { additionalProperties: false }),
    response: { 200: json('The keys', Type.Object({ keys: Type.Array(ApiKeyViewSchema) })) },
  },
  ['validation_failed', 'not_found'],
);

export const revokeApiKey = adminOperation(
  'DELETE',
  '/admin/v1/keys/{id}',
  {
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    tags: ['admin'],
    params: Type.Object({ id: Type.Unsafe<string>(uuidSchema) }),
    response: { 204: empty('Revoked') },
  },
  ['validation_failed', 'not_found', 'invalid_json', 'unsupported_media_type', 'payload_too_large'],
);
