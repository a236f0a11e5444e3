/**
 * The admin API's authentication: "Authorization: Bearer <ADMIN_TOKEN>". The token is compared in
 * constant time (SHA-256 digests of both sides, so that their lengths do not matter either); tenant
 * API keys do not open /admin/v1, and the admin token does not open /v1.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '@trainyard/contracts';
import { bearerKey } from './auth.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function registerAdminAuth(scope: FastifyInstance, adminToken: string): void {
  const expected = digest(adminToken);
  scope.addHook('onRequest', async (request) => {
    const given = bearerKey(request);
    if (given === null || !timingSafeEqual(digest(given), expected)) {
      throw new ApiError('unauthorized', 'Send the admin token as "Authorization: Bearer <ADMIN_TOKEN>".');
    }
    request.log = request.log.child({ admin: true });
  });
}
