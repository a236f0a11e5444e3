/**
 * POST /v1/webhooks: checks the URL against request forgery (its host resolved, every address public
 * unless WEBHOOK_ALLOW_PRIVATE), makes the secret, and stores the webhook within MAX_WEBHOOKS_PER_TENANT.
 * Each delivery checks the address again, since DNS answers change.
 */
import { ApiError, type CreateWebhook, type WebhookWithSecret } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { tenantLimitError } from '../http/tenant-limit-errors.js';
import { newWebhookSecret } from './signature.js';
import { parseWebhookUrl, resolveTarget, TargetRefused } from './webhook-target.js';
import { withSecret } from './webhook-view.js';

export async function createWebhook(deps: ApiDeps, tenant: Tenant, body: CreateWebhook): Promise<WebhookWithSecret> {
  const { config } = deps;
  let url: URL;
  try {
    url = parseWebhookUrl(body.url);
    // With private addresses allowed there is nothing to refuse; a host that does not resolve yet may later.
    if (!config.webhookAllowPrivate) await resolveTarget(url, { allowPrivate: false, dnsServers: config.webhookDnsServers });
  } catch (error) {
    if (error instanceof TargetRefused)
      throw new ApiError('webhook_url_refused', error.message, [{ path: 'body.url', rule: 'webhook_url' }]);
    throw error;
  }
  try {
    const webhook = await deps.db.webhooks.create({
      tenantId: tenant.id,
      url: url.href,
      events: body.events,
      description: body.description ?? null,
      secret: newWebhookSecret(),
      maxPerTenant: config.maxWebhooksPerTenant,
    });
    return withSecret(webhook);
  } catch (error) {
    throw tenantLimitError(error);
  }
}
