/** The /v1/sweeps routes: HTTP in and out; the work is in ../sweeps (one operation per file). */
import type { FastifyInstance } from 'fastify';
import {
  buildJobSpecSchema,
  cancelSweep as cancelSweepOperation,
  getSweep as getSweepOperation,
  listSweepDecisions as listSweepDecisionsOperation,
  listSweeps as listSweepsOperation,
  submitSweep as submitSweepOperation,
  sweepBodySchema,
} from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { requireJsonBody } from '../http/json-body.js';
import { routeOf, typed } from '../http/operation-route.js';
import { compileBodyValidator } from '../http/validation.js';
import { cancelSweep } from '../sweeps/cancel-sweep.js';
import { getSweep, listSweepDecisions } from '../sweeps/get-sweep.js';
import { listSweeps } from '../sweeps/list-sweeps.js';
import { submitSweep } from '../sweeps/submit-sweep.js';

export async function sweepRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(scope);
  // The base spec with this deployment's limits (MAX_EPOCHS...), which the document then publishes;
  // every planned trial is checked against the same limits.
  const limits = {
    maxEpochs: deps.config.maxEpochs,
    maxBatchSize: deps.config.maxBatchSize,
    maxRuntimeSeconds: deps.config.maxRuntimeSeconds,
  };
  const validateTrial = compileBodyValidator(buildJobSpecSchema(limits));
  const submit = routeOf(submitSweepOperation, scope);
  app.route({
    ...submit,
    schema: { ...submit.schema, body: sweepBodySchema(limits) },
    preValidation: requireJsonBody,
    handler: async (request, reply) => {
      const sweep = await submitSweep(deps, request.tenant, request.body, validateTrial);
      return reply.code(201).header('location', sweep.links.self).send(sweep);
    },
  });
  app.route({ ...routeOf(listSweepsOperation, scope), handler: async (request) => listSweeps(deps, request.tenant, request.query) });
  app.route({ ...routeOf(getSweepOperation, scope), handler: async (request) => getSweep(deps, request.tenant, request.params.id) });
  app.route({
    ...routeOf(cancelSweepOperation, scope),
    handler: async (request) => cancelSweep(deps, request.tenant, request.params.id),
  });
  app.route({
    ...routeOf(listSweepDecisionsOperation, scope),
    handler: async (request) => listSweepDecisions(deps, request.tenant, request.params.id),
  });
}
