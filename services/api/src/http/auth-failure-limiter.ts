/**
 * Counts requests refused for an unknown, revoked or malformed key per client address, a minute at a
 * time. Past the limit an address is answered 429 before its key is even hashed, so guessing keys
 * costs at most `perMinute` database queries a minute per address. The table is bounded: when full,
 * the oldest address is forgotten first.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds until the address may try again, or 0 when it may try now. */
  blockedFor(address: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const window = this.windows.get(address);
    if (!window || now - window.startedAt >= this.windowMs) return 0;
    if (window.failures < this.perMinute) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
  }

  recordFailure(address: string, now = Date.now()): void {
    if (this.perMinute <= 0) return;
    const window = this.windows.get(address);
    if (window && now - window.startedAt < this.windowMs) {
      window.failures += 1;
      return;
    }
    this.windows.delete(address);
    this.windows.set(address, { startedAt: now, failures: 1 });
    if (this.windows.size > this.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
  }
}
