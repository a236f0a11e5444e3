/**
 * RATE_LIMIT_PER_MINUTE as a token bucket per API key: a key holds at most `burst` requests, and
 * earns them back at perMinute/60 a second. A fixed one-minute window (what @fastify/rate-limit
 * counts) lets a key spend its whole minute in the first second of every window, so a hostile
 * tenant's 600 requests all land together, once a minute, on the event loop that answers every
 * tenant; the bucket hands out the same long-run rate evenly, and a client that pauses can still
 * send a burst at once. The table is bounded: when full, the key used least recently is forgotten
 * (it starts again with a full bucket).
 */
export interface RateDecision {
  allowed: boolean;
  /** Whole requests left now. */
  remaining: number;
  /** Seconds until the next request would be allowed (0 when it is now). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

export class KeyRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  readonly burst: number;

  constructor(
    readonly perMinute: number,
    burst: number,
    private readonly maxKeys = 100_000,
  ) {
    this.perMs = perMinute / 60_000;
    // A limit below the burst is also the burst: RATE_LIMIT_PER_MINUTE=3 allows 3 at once, not more.
    this.burst = Math.max(1, Math.min(burst, perMinute));
  }

  /** Takes one request from `key`'s bucket if it holds one. */
  take(key: string, now = Date.now()): RateDecision {
    const bucket = this.buckets.get(key);
    let tokens = bucket ? Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs) : this.burst;
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    // Re-inserted so that the map's order is the order of last use, oldest first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: now });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)),
      resetSeconds: Math.ceil((this.burst - tokens) / this.perMs / 1000),
    };
  }
}
