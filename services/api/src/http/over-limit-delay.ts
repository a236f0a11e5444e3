/**
 * Refusals of a client that is over a rate limit (rate_limited for a key, auth_failures_limit for an
 * address, concurrent_requests_limit for a tenant with 100 requests already waiting) are answered after
 * OVER_LIMIT_DELAY_MS instead of at once. A client that retries in a loop without waiting for
 * Retry-After then sends one request per connection per delay, not thousands a second that each cost
 * the event loop that answers every tenant a parse, a hash and an answer; a client that honours
 * Retry-After never notices. At most `maxHeld` refusals wait at once (a timer each); past that they are
 * answered at once, as with OVER_LIMIT_DELAY_MS=0.
 */
export class OverLimitDelay {
  private held = 0;

  constructor(
    readonly delayMs: number,
    private readonly maxHeld = 10_000,
  ) {}

  /** Calls `answer` after the delay, or at once when the delay is 0 or `maxHeld` refusals already wait. */
  answer(send: () => void): void {
    if (this.delayMs <= 0 || this.held >= this.maxHeld) {
      send();
      return;
    }
    this.held += 1;
    setTimeout(() => {
      this.held -= 1;
      send();
    }, this.delayMs);
  }
}

/** The codes of a client over a rate or concurrency limit: those whose refusals are delayed. */
export const OVER_LIMIT_CODES: ReadonlySet<string> = new Set(['rate_limited', 'auth_failures_limit', 'concurrent_requests_limit']);
