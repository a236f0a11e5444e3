/**
 * /v1/webhooks: endpoints that receive a tenant's job (and sweep) events, signed as Standard Webhooks
 * sign them, from a durable outbox with retries.
 */
import { Type, type Static } from '@sinclair/typebox';
import { BODY_ERRORS, Header, IdParams, Nullable, PageQuery, StringEnum, Timestamp, empty, json, keyOperation } from './common.js';
import { JobViewSchema } from './jobs.js';

export const JOB_WEBHOOK_EVENT_TYPES = ['job.queued', 'job.running', 'job.succeeded', 'job.failed', 'job.cancelled'] as const;
export const SWEEP_WEBHOOK_EVENT_TYPES = ['sweep.succeeded', 'sweep.failed', 'sweep.cancelled'] as const;
export const WEBHOOK_EVENT_TYPES = [...JOB_WEBHOOK_EVENT_TYPES, ...SWEEP_WEBHOOK_EVENT_TYPES] as const;
export type JobWebhookEventType = (typeof JOB_WEBHOOK_EVENT_TYPES)[number];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const EventTypes = Type.Array(StringEnum(WEBHOOK_EVENT_TYPES), {
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  uniqueItems: true,
  description: 'The event types this webhook receives',
});

export const WebhookViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Type.String(),
    events: EventTypes,
    description: Nullable(Type.String()),
    createdAt: Timestamp,
    links: Type.Object({ self: Type.String(), deliveries: Type.String(), rotateSecret: Type.String() }),
  },
  { title: 'Webhook' },
);
export type WebhookView = Static<typeof WebhookViewSchema>;

export const WebhookWithSecretSchema = Type.Object(
  {
    ...WebhookViewSchema.properties,
    secret: Type.String({
      description:
        'whsec_ and the base64 of the HMAC-SHA256 key that signs deliveries (Standard Webhooks); shown only when created or rotated',
    }),
  },
  { title: 'WebhookWithSecret' },
);
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>;

export const CreateWebhookSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'http:// or https:// URL that receives POSTs; its host must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE=true)',
    }),
    events: EventTypes,
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type CreateWebhook = Static<typeof CreateWebhookSchema>;

export const WebhookListSchema = Type.Object({ webhooks: Type.Array(WebhookViewSchema), nextCursor: Nullable(Type.String()) });
export type WebhookList = Static<typeof WebhookListSchema>;
export const ListWebhooksQuerySchema = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListWebhooksQuery = Static<typeof ListWebhooksQuerySchema>;

export const DeliveryAttemptSchema = Type.Object({
  startedAt: Timestamp,
  durationMs: Type.Integer(),
  responseStatus: Nullable(Type.Integer({ description: "The receiver's HTTP status; null when it did not answer" })),
  error: Nullable(
    Type.String({ description: 'Why the attempt failed: a status other than 2xx, a timeout, a refused address, a connection error' }),
  ),
  nextRetryAt: Nullable(Timestamp, { description: 'When the delivery is tried again; null when delivered or given up' }),
});

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    eventId: Type.String({ format: 'uuid', description: 'Sent as the webhook-id header' }),
    eventType: StringEnum(WEBHOOK_EVENT_TYPES),
    subjectId: Type.String({ format: 'uuid', description: 'The job (or sweep) the event is about' }),
    status: StringEnum(['pending', 'delivered', 'failed'] as const, {
      description: 'pending until a 2xx answer (delivered) or until retries end 24 hours after the event (failed)',
    }),
    nextAttemptAt: Nullable(Timestamp),
    createdAt: Timestamp,
    attempts: Type.Array(DeliveryAttemptSchema, { description: 'Every attempt, oldest first' }),
  },
  { title: 'WebhookDelivery' },
);
export type WebhookDeliveryView = Static<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = Type.Object({
  deliveries: Type.Array(WebhookDeliverySchema),
  nextCursor: Nullable(Type.String()),
});
export type WebhookDeliveryList = Static<typeof WebhookDeliveryListSchema>;

/** The body of a job event's POST (sweep events carry `data.sweep`). */
export const JobWebhookEventSchema = Type.Object(
  {
    type: StringEnum(JOB_WEBHOOK_EVENT_TYPES),
    createdAt: Timestamp,
    data: Type.Object({ job: JobViewSchema }),
  },
  { title: 'JobWebhookEvent' },
);
export type JobWebhookEvent = Static<typeof JobWebhookEventSchema>;

const byId = ['validation_failed', 'not_found'] as const;
const noBody = ['invalid_json', 'unsupported_media_type', 'payload_too_large', 'control_character'] as const;

export const createWebhook = keyOperation(
  'POST',
  '/v1/webhooks',
  {
    operationId: 'createWebhook',
    summary: 'Register a webhook',
    description:
      'The answer holds the signing `secret`, shown only here and by rotate-secret. Each event is POSTed as ' +
      '`{ type, createdAt, data: { job } }` with the Standard Webhooks headers webhook-id, webhook-timestamp and ' +
      'webhook-signature (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` keyed by the secret), retried ' +
      'with exponential backoff for 24 hours until the receiver answers 2xx within 10 seconds; redirects are not followed.',
    tags: ['webhooks'],
    body: CreateWebhookSchema,
    response: { 201: json('The webhook and its secret', WebhookWithSecretSchema, { location: Header.location }) },
  },
  [...BODY_ERRORS, 'webhook_url_refused', 'webhooks_limit'],
);

export const listWebhooks = keyOperation(
  'GET',
  '/v1/webhooks',
  {
    operationId: 'listWebhooks',
    summary: 'List webhooks, newest first',
    tags: ['webhooks'],
    querystring: ListWebhooksQuerySchema,
    response: { 200: json('A page of webhooks', WebhookListSchema) },
  },
  ['validation_failed'],
);

export const getWebhook = keyOperation(
  'GET',
  '/v1/webhooks/{id}',
  {
    operationId: 'getWebhook',
    summary: 'One webhook (without its secret)',
    tags: ['webhooks'],
    params: IdParams,
    response: { 200: json('The webhook', WebhookViewSchema) },
  },
  [...byId],
);

export const deleteWebhook = keyOperation(
  'DELETE',
  '/v1/webhooks/{id}',
  {
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook and its deliveries',
    tags: ['webhooks'],
    params: IdParams,
    response: { 204: empty('Deleted') },
  },
  [...byId, ...noBody],
);

export const rotateWebhookSecret = keyOperation(
  'POST',
  '/v1/webhooks/{id}/rotate-secret',
  {
    operationId: 'rotateWebhookSecret',
    summary: 'Replace the signing secret',
    description: 'Deliveries from now on are signed with the new secret, which this answer shows once.',
    tags: ['webhooks'],
    params: IdParams,
    response: { 200: json('The webhook and its new secret', WebhookWithSecretSchema) },
  },
  [...byId, ...noBody],
);

export const listWebhookDeliveries = keyOperation(
  'GET',
  '/v1/webhooks/{id}/deliveries',
  {
    operationId: 'listWebhookDeliveries',
    summary: "A webhook's deliveries, newest first, with every attempt",
    description: 'Delivered and failed deliveries are kept for 7 days.',
    tags: ['webhooks'],
    params: IdParams,
    querystring: ListWebhooksQuerySchema,
    response: { 200: json('A page of deliveries', WebhookDeliveryListSchema) },
  },
  [...byId],
);

export const WEBHOOK_OPERATIONS = {
  createWebhook,
  listWebhooks,
  getWebhook,
  deleteWebhook,
  rotateWebhookSecret,
  listWebhookDeliveries,
};
