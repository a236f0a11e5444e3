/**
 * At most `limit` concurrent things (uploads, event streams, predictions) per tenant in this process. `take`
 * returns a release function, or null when the tenant already holds `limit`; releasing twice is
 * harmless.
 */
export class TenantSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly limit: number) {}

  count(tenantId: string): number {
    return this.held.get(tenantId) ?? 0;
  }

  take(tenantId: string): (() => void) | null {
    const count = this.count(tenantId);
    if (count >= this.limit) return null;
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
