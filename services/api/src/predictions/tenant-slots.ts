/**
 * MAX_CONCURRENT_PREDICTIONS_PER_TENANT: prediction requests of one tenant in progress in this API
 * process. A slot is taken when the request arrives (before its body is read, so a slow upload counts)
 * and given back once, when its answer is sent or its connection closes.
 */
import { ApiError } from '@trainyard/contracts';

export class TenantSlots {
  private readonly inUse = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Returns the function that gives the slot back; throws concurrent_predictions_limit when none is free. */
  acquire(tenant: string): () => void {
    const used = this.inUse.get(tenant) ?? 0;
    if (used >= this.limit) {
      throw new ApiError(
        'concurrent_predictions_limit',
        `The tenant already has ${used} prediction requests in progress; MAX_CONCURRENT_PREDICTIONS_PER_TENANT allows ${this.limit}.`,
        { limit: this.limit, variable: 'MAX_CONCURRENT_PREDICTIONS_PER_TENANT', retryAfterSeconds: 1 },
      );
    }
    this.inUse.set(tenant, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(tenant) ?? 1) - 1;
      if (left > 0) this.inUse.set(tenant, left);
      else this.inUse.delete(tenant);
    };
  }
}
