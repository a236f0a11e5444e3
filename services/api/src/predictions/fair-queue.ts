/**
 * Requests waiting for an inference process, served round-robin by tenant: a tenant with many
 * requests waiting takes one turn in each round, so another tenant's request waits for at most one
 * request of each tenant ahead of it, never for a whole backlog.
 */
export class FairQueue<T> {
  /** Map order is turn order: the first tenant is served next, then goes to the back. */
  private readonly byTenant = new Map<string, T[]>();
  private count = 0;

  push(tenant: string, item: T): void {
    const items = this.byTenant.get(tenant);
    if (items) items.push(item);
    else this.byTenant.set(tenant, [item]);
    this.count++;
  }

  shift(): T | undefined {
    for (const [tenant, items] of this.byTenant) {
      const item = items.shift()!;
      this.byTenant.delete(tenant);
      if (items.length > 0) this.byTenant.set(tenant, items);
      this.count--;
      return item;
    }
    return undefined;
  }

  remove(tenant: string, item: T): boolean {
    const items = this.byTenant.get(tenant);
    const index = items ? items.indexOf(item) : -1;
    if (index < 0) return false;
    items!.splice(index, 1);
    if (items!.length === 0) this.byTenant.delete(tenant);
    this.count--;
    return true;
  }

  get size(): number {
    return this.count;
  }
}
