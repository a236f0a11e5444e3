/**
 * The webhook delivery loop. Each round claims due deliveries from the outbox (packages/db
 * WebhookRepository.claimDue: FOR UPDATE SKIP LOCKED with a lease, so several API processes share the
 * work and a process that dies mid-attempt leaves its deliveries to the others) and sends each one
 * without waiting for the others. A webhook has at most one attempt in flight per process and a failed
 * attempt moves only that delivery's next try, so a slow or broken endpoint never delays another's
 * deliveries. Retries back off exponentially from WEBHOOK_RETRY_BASE_MS until
 * WEBHOOK_RETRY_WINDOW_SECONDS after the event; every attempt is recorded.
 */
import type { ClaimedDelivery } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { renderEventBody } from './event-body.js';
import { sendDelivery } from './send-delivery.js';

/** How long a receiver has to answer (the 10 s). */
const DELIVERY_TIMEOUT_MS = 10_000;
/** The longest wait between two retries. */
const MAX_RETRY_DELAY_MS = 4 * 3600_000;
/** Attempts one process has in flight at once, over all webhooks. */
const MAX_IN_FLIGHT = 64;

export interface DelivererOptions {
  timeoutMs?: number;
}

export class WebhookDeliverer {
  /** Attempts in flight, by webhook id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private round: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readonly timeoutMs: number;

  constructor(
    private readonly deps: Pick<ApiDeps, 'db' | 'config' | 'logger'>,
    options: DelivererOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  /** Runs a round now, or right after the one in progress; resolves when no round is left to run. */
  kick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.round = (async () => {
      try {
        do {
          this.again = false;
          await this.claimAndSend();
        } while (this.again && !this.closed);
      } finally {
        this.round = null;
      }
    })();
    return this.round;
  }

  /** Stops claiming and waits for the attempts in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.round?.catch(() => {});
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async claimAndSend(): Promise<void> {
    const claimed = await this.deps.db.webhooks.claimDue({
      limit: MAX_IN_FLIGHT - this.inFlight.size,
      busyWebhookIds: [...this.inFlight.keys()],
      leaseMs: this.timeoutMs + 60_000,
    });
    for (const delivery of claimed) {
      const attempt = this.attempt(delivery)
        .catch((error: unknown) => {
          // Postgres unreachable while recording: the lease lapses and the delivery is tried again.
          this.deps.logger.warn({ err: error, delivery: delivery.id }, 'webhook attempt could not be recorded');
        })
        .finally(() => {
          this.inFlight.delete(delivery.webhookId);
          // The webhook may have more due deliveries: they need not wait for the next tick.
          void this.kick().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'webhook delivery round failed'));
        });
      this.inFlight.set(delivery.webhookId, attempt);
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { config } = this.deps;
    const startedAt = new Date();
    const body =
      delivery.eventBody ?? (await this.deps.db.webhooks.setEventBody(delivery.eventId, await renderEventBody(this.deps, delivery)));
    const outcome = await sendDelivery(
      { url: delivery.url, secret: delivery.secret, id: delivery.eventId, body },
      { allowPrivate: config.webhookAllowPrivate, dnsServers: config.webhookDnsServers },
      this.timeoutMs,
    );
    const nextRetryAt = outcome.delivered ? null : this.nextRetry(delivery);
    await this.deps.db.webhooks.recordAttempt(delivery, { ...outcome, startedAt, nextRetryAt });
    this.deps.logger.info(
      {
        webhook: delivery.webhookId,
        event: delivery.eventId,
        type: delivery.eventType,
        status: outcome.responseStatus,
        ms: outcome.durationMs,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(outcome.delivered ? {} : { nextRetryAt: nextRetryAt?.toISOString() ?? 'given up' }),
      },
      outcome.delivered ? 'webhook delivered' : 'webhook attempt failed',
    );
  }

  /** When to try again after this failure: null once the retry window after the event is over. */
  private nextRetry(delivery: ClaimedDelivery): Date | null {
    const { webhookRetryBaseMs, webhookRetryWindowSeconds } = this.deps.config;
    const delay = Math.min(webhookRetryBaseMs * 2 ** Math.min(delivery.attempts, 30), MAX_RETRY_DELAY_MS);
    // Up to 10% more, so that the retries of many deliveries that failed together spread out.
    const next = new Date(Date.now() + delay * (1 + Math.random() * 0.1));
    const end = delivery.eventCreatedAt.getTime() + webhookRetryWindowSeconds * 1000;
    return next.getTime() > end ? null : next;
  }
}
