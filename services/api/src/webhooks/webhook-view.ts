/** A webhook row as the API shows it; the secret only in the answers that create or rotate it. */
import type { WebhookEventType, WebhookView, WebhookWithSecret } from '@trainyard/contracts';
import type { Webhook } from '@trainyard/db';

export function toWebhookView(webhook: Webhook): WebhookView {
  const self = `/v1/webhooks/${webhook.id}`;
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events as WebhookEventType[],
    description: webhook.description,
    createdAt: webhook.createdAt.toISOString(),
    links: { self, deliveries: `${self}/deliveries`, rotateSecret: `${self}/rotate-secret` },
  };
}

export function withSecret(webhook: Webhook): WebhookWithSecret {
  return { ...toWebhookView(webhook), secret: webhook.secret };
}
