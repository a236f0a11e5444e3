/** The public operational routes: liveness, readiness and Prometheus metrics (no key: `security: []`). */
import { Type, type Static } from '@sinclair/typebox';
import { json, media, publicOperation } from './common.js';

export const getHealth = publicOperation('GET', '/healthz', {
  operationId: 'getHealth',
  summary: 'Liveness: the process answers',
  tags: ['operations'],
  response: { 200: json('Alive', Type.Object({ status: Type.Literal('ok') })) },
});

const Checks = Type.Object({
  postgres: Type.String({ description: '"ok" or "unavailable: reason"' }),
  redis: Type.String(),
  storage: Type.String(),
});

export const ReadinessSchema = Type.Object({ status: Type.Literal('ready'), checks: Checks });
export type Readiness = Static<typeof ReadinessSchema>;

export const getReadiness = publicOperation(
  'GET',
  '/readyz',
  {
    operationId: 'getReadiness',
    summary: 'Readiness: Postgres, Redis and object storage answer',
    tags: ['operations'],
    response: { 200: json('Ready', ReadinessSchema) },
  },
  ['not_ready'],
);

export const getPrometheusMetrics = publicOperation('GET', '/metrics', {
  operationId: 'getPrometheusMetrics',
  summary: 'Prometheus metrics',
  description: "Counts only, never a tenant's data; keep it on the internal network.",
  tags: ['operations'],
  response: { 200: media('Prometheus text format 0.0.4', 'text/plain', {}, Type.String()) },
});
