/**
 * Webhooks and their outbox. An event is written in the same statement (or transaction) as the state
 * transition it reports, so a crash either loses both or neither: `jobEventStatements` appends the
 * outbox inserts to a transition's UPDATE as data-modifying CTEs, `recordEvent` does the same inside a
 * transaction. Only tenants with a webhook subscribed to the type get a row, one delivery per webhook.
 *
 * The delivery loop claims due deliveries with FOR UPDATE SKIP LOCKED and a lease (next_attempt_at
 * moved past the attempt's longest time, a claim token), so several API processes never send one
 * attempt twice, and a process that dies mid-attempt leaves the delivery to be claimed again.
 */
import { JOB_WEBHOOK_EVENT_TYPES, type JobWebhookEventType, type WebhookEventType } from '@trainyard/contracts';
import type pg from 'pg';
import type { PrismaClient, Webhook, WebhookDeliveryStatus } from '../../generated/prisma/client.js';
import { afterCursor, decodeCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.js';
import { inTransaction, lockTenants, TenantLimitError, TENANT_WEBHOOKS_LOCK } from '../tenant-limit.js';

/**
 * CTEs to append after `WITH <source> AS (UPDATE/INSERT jobs ... RETURNING JOB_COLUMN_LIST)`: they
 * record a `type` event for every row `source` returned (its columns, as the transition left them, are
 * the event's data). Postgres runs data-modifying CTEs whether or not the main query reads them.
 */
export function jobEventStatements(source: string, type: JobWebhookEventType): string {
  if (!JOB_WEBHOOK_EVENT_TYPES.includes(type) || !/^[a-z_]+$/.test(source)) throw new Error(`bad job event ${type} from ${source}`);
  return `, ${source}_events AS (
      INSERT INTO webhook_events (tenant_id, type, subject_id, data)
      SELECT src."tenantId", '${type}', src.id, to_jsonb(src) FROM ${source} src
      WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant_id = src."tenantId" AND '${type}' = ANY (w.events))
      RETURNING id, tenant_id, type
    ), ${source}_deliveries AS (
      INSERT INTO webhook_deliveries (webhook_id, event_id)
      SELECT w.id, e.id FROM ${source}_events e JOIN webhooks w ON w.tenant_id = e.tenant_id AND e.type = ANY (w.events)
    )`;
}

const RECORD_EVENT = {
  name: 'trainyard.webhooks.record-event',
  text: `WITH event AS (
           INSERT INTO webhook_events (tenant_id, type, subject_id, data)
           SELECT $1::uuid, $2, $3::uuid, $4::jsonb
           WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant_id = $1::uuid AND $2 = ANY (w.events))
           RETURNING id
         )
         INSERT INTO webhook_deliveries (webhook_id, event_id)
         SELECT w.id, event.id FROM event JOIN webhooks w ON w.tenant_id = $1::uuid AND $2 = ANY (w.events)`,
};

export interface NewEvent {
  tenantId: string;
  type: WebhookEventType;
  /** The job or sweep the event is about. */
  subjectId: string;
  /** What the delivery body's `data` is made from (for sweeps: the sweep view as the API shows it). */
  data: unknown;
}

/**
 * Records an event for the tenant's subscribed webhooks, on a connection inside the caller's open
 * transaction (the one that makes the state change), so that both commit or neither does.
 */
export async function recordEvent(client: Pick<pg.PoolClient, 'query'>, event: NewEvent): Promise<void> {
  await client.query({ ...RECORD_EVENT, values: [event.tenantId, event.type, event.subjectId, JSON.stringify(event.data)] });
}

/** recordEvent inside a Prisma interactive transaction. */
export async function recordEventInTransaction(tx: Pick<PrismaClient, '$executeRawUnsafe'>, event: NewEvent): Promise<void> {
  await tx.$executeRawUnsafe(RECORD_EVENT.text, event.tenantId, event.type, event.subjectId, JSON.stringify(event.data));
}

export interface NewWebhook {
  tenantId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret: string;
  /** MAX_WEBHOOKS_PER_TENANT, counted atomically with the insert. */
  maxPerTenant: number;
}

/** A due delivery, claimed for one attempt. */
export interface ClaimedDelivery {
  id: string;
  /** Proves the claim when the outcome is recorded. */
  claimToken: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  eventType: string;
  subjectId: string;
  eventData: unknown;
  /** The body an earlier attempt rendered, or null. */
  eventBody: string | null;
  eventCreatedAt: Date;
  /** Attempts made before this one. */
  attempts: number;
}

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  error: string | null;
  /** Null: delivered (2xx) or given up; otherwise when to try again. */
  nextRetryAt: Date | null;
  delivered: boolean;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  subjectId: string;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
  createdAt: Date;
  attempts: Array<{
    startedAt: Date;
    durationMs: number;
    responseStatus: number | null;
    error: string | null;
    nextRetryAt: Date | null;
  }>;
}

const COUNT_WEBHOOKS = {
  name: 'trainyard.webhooks.count',
  text: 'SELECT count(*)::int AS count FROM webhooks WHERE tenant_id = $1::uuid',
};
const INSERT_WEBHOOK = {
  name: 'trainyard.webhooks.insert',
  text: `INSERT INTO webhooks (tenant_id, url, events, description, secret) VALUES ($1::uuid, $2, $3::text[], $4, $5)
         RETURNING id, tenant_id AS "tenantId", url, events, description, secret, created_at AS "createdAt", updated_at AS "updatedAt"`,
};

/**
 * Due deliveries, at most one per webhook and none of the webhooks the caller already has an attempt
 * in flight for, so that a slow or failing endpoint holds back only its own deliveries. The chosen
 * rows get a lease: their next_attempt_at moves `lease` ahead (a process that dies mid-attempt leaves
 * them to be claimed again then) and a fresh claim token.
 */
const CLAIM_DUE = {
  name: 'trainyard.webhooks.claim-due',
  text: `WITH candidates AS (
           SELECT DISTINCT ON (webhook_id) id, next_attempt_at FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (webhook_id = ANY ($1::uuid[]))
           ORDER BY webhook_id, next_attempt_at, id
         ), chosen AS (
           SELECT d.id FROM webhook_deliveries d JOIN candidates c ON c.id = d.id
           WHERE d.status = 'pending' AND d.next_attempt_at <= now()
           ORDER BY c.next_attempt_at LIMIT $2
           FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE webhook_deliveries d
         SET next_attempt_at = now() + $3::int * interval '1 millisecond', claim_token = gen_random_uuid(), updated_at = now()
         FROM chosen, webhooks w, webhook_events e
         WHERE d.id = chosen.id AND w.id = d.webhook_id AND e.id = d.event_id
         RETURNING d.id, d.claim_token AS "claimToken", d.webhook_id AS "webhookId", w.url, w.secret, e.id AS "eventId",
                   e.type AS "eventType", e.subject_id AS "subjectId", e.data AS "eventData", e.body AS "eventBody",
                   e.created_at AS "eventCreatedAt",
                   (SELECT count(*)::int FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id) AS attempts`,
};

const SET_EVENT_BODY = {
  name: 'trainyard.webhooks.set-event-body',
  // The first rendering wins, so that every attempt and every webhook sends the same bytes.
  text: `WITH updated AS (UPDATE webhook_events SET body = $2 WHERE id = $1::uuid AND body IS NULL RETURNING body)
         SELECT body FROM updated UNION ALL SELECT body FROM webhook_events WHERE id = $1::uuid LIMIT 1`,
};

const RECORD_ATTEMPT = {
  name: 'trainyard.webhooks.record-attempt',
  text: `WITH moved AS (
           UPDATE webhook_deliveries
           SET status = $3::"WebhookDeliveryStatus", next_attempt_at = $8::timestamptz, claim_token = NULL, updated_at = now()
           WHERE id = $1::uuid AND claim_token = $2::uuid
           RETURNING id
         )
         INSERT INTO webhook_delivery_attempts (delivery_id, started_at, duration_ms, response_status, error, next_retry_at)
         SELECT id, $4::timestamptz, $5::int, $6::int, $7, $8::timestamptz FROM moved`,
};

export class WebhookRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /** Inserts a webhook unless the tenant already has maxPerTenant (TenantLimitError('webhooks')). */
  async create(input: NewWebhook): Promise<Webhook> {
    return inTransaction(this.pool, async (client) => {
      await lockTenants(client, TENANT_WEBHOOKS_LOCK, [input.tenantId]);
      const { rows } = await client.query<{ count: number }>({ ...COUNT_WEBHOOKS, values: [input.tenantId] });
      const count = rows[0]!.count;
      if (count >= input.maxPerTenant) throw new TenantLimitError('webhooks', count, input.maxPerTenant);
      const inserted = await client.query<Webhook>({
        ...INSERT_WEBHOOK,
        values: [input.tenantId, input.url, input.events, input.description, input.secret],
      });
      return inserted.rows[0]!;
    });
  }

  findForTenant(tenantId: string, id: string): Promise<Webhook | null> {
    return this.prisma.webhook.findFirst({ where: { id, tenantId } });
  }

  async list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<Webhook> | { invalidCursor: true }> {
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    const rows = await this.prisma.webhook.findMany({
      where: { tenantId, ...afterCursor(cursor) },
      orderBy: NEWEST_FIRST,
      take: options.limit + 1,
    });
    return toPage(rows, options.limit);
  }

  /** Deletes the webhook with its deliveries; false when the tenant has no such webhook. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    return (await this.prisma.webhook.deleteMany({ where: { id, tenantId } })).count > 0;
  }

  /** Replaces the secret; null when the tenant has no such webhook. */
  async rotateSecret(tenantId: string, id: string, secret: string): Promise<Webhook | null> {
    const { count } = await this.prisma.webhook.updateMany({ where: { id, tenantId }, data: { secret } });
    return count === 0 ? null : this.prisma.webhook.findUnique({ where: { id } });
  }

  /** The webhook's deliveries, newest first, each with its attempts in order. */
  async listDeliveries(
    webhookId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<DeliveryRecord> | { invalidCursor: true }> {
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor);
    if (options.cursor !== undefined && cursor === null) return { invalidCursor: true };
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { webhookId, ...afterCursor(cursor) },
      orderBy: NEWEST_FIRST,
      take: options.limit + 1,
      include: {
        event: { select: { type: true, subjectId: true } },
        attempts: {
          orderBy: { startedAt: 'asc' },
          select: { startedAt: true, durationMs: true, responseStatus: true, error: true, nextRetryAt: true },
        },
      },
    });
    const records = rows.map((row): DeliveryRecord => ({
      id: row.id,
      eventId: row.eventId,
      eventType: row.event.type,
      subjectId: row.event.subjectId,
      status: row.status,
      nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
      createdAt: row.createdAt,
      attempts: row.attempts,
    }));
    return toPage(records, options.limit);
  }

  /** Claims up to `limit` due deliveries (see CLAIM_DUE), skipping the webhooks in `busyWebhookIds`. */
  async claimDue(options: { limit: number; busyWebhookIds: string[]; leaseMs: number }): Promise<ClaimedDelivery[]> {
    if (options.limit <= 0) return [];
    const { rows } = await this.pool.query<ClaimedDelivery>({
      ...CLAIM_DUE,
      values: [options.busyWebhookIds, options.limit, Math.ceil(options.leaseMs)],
    });
    return rows;
  }

  /** Stores the event's rendered body unless another process did first; returns the stored one. */
  async setEventBody(eventId: string, body: string): Promise<string> {
    const { rows } = await this.pool.query<{ body: string }>({ ...SET_EVENT_BODY, values: [eventId, body] });
    return rows[0]?.body ?? body;
  }

  /**
   * Records an attempt and the delivery's new state, if the claim is still ours (after a lease that
   * lapsed, another process may have claimed it: then nothing is written and this returns false).
   */
  async recordAttempt(delivery: Pick<ClaimedDelivery, 'id' | 'claimToken'>, attempt: AttemptRecord): Promise<boolean> {
    const status: WebhookDeliveryStatus = attempt.delivered ? 'delivered' : attempt.nextRetryAt ? 'pending' : 'failed';
    const result = await this.pool.query({
      ...RECORD_ATTEMPT,
      values: [
        delivery.id,
        delivery.claimToken,
        status,
        attempt.startedAt,
        Math.round(attempt.durationMs),
        attempt.responseStatus,
        attempt.error,
        attempt.nextRetryAt,
      ],
    });
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes events (with their deliveries and attempts) older than `before`, except those still pending. */
  async pruneEvents(before: Date): Promise<number> {
    return this.prisma.webhookEvent
      .deleteMany({ where: { createdAt: { lt: before }, deliveries: { none: { status: 'pending' } } } })
      .then((result) => result.count);
  }
}
