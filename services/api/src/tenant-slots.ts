/**
 * At most `limit` concurrent things (uploads, event streams, predictions) per tenant in this
 * process. `take` returns a release function, or throws the slot's own refusal (its code, message
 * and details, built by `refusal`) when the tenant already holds `limit`; releasing twice is harmless.
 */
import type { ApiError } from '@trainyard/contracts';

export class TenantSlots {
  private readonly held = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly refusal: (limit: number) => ApiError,
  ) {}

  count(tenantId: string): number {
    return this.held.get(tenantId) ?? 0;
  }

  take(tenantId: string): () => void {
    const count = this.count(tenantId);
    if (count >= this.limit) throw this.refusal(this.limit);
    this.held.set(tenantId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(tenantId) - 1;
      if (left > 0) this.held.set(tenantId, left);
      else this.held.delete(tenantId);
    };
  }
}
