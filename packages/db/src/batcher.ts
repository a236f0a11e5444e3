/**
 * Writes many callers' items in shared round trips (group commit). An item added while fewer than
 * `maxInFlight` batches are being written goes out at once, alone; items that arrive while all are
 * busy wait and leave together in the next batch. A lone request therefore never waits, and a burst
 * of concurrent requests costs a few statements instead of one each.
 */
export class Batcher<T, R> {
  private waiting: Array<{ item: T; resolve: (value: R) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  /**
   * `write` gets the items of one batch and settles each one: a failed item does not fail the others.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<Array<PromiseSettledResult<R>>>,
    private readonly options: { maxInFlight: number; maxBatch: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.inFlight >= this.options.maxInFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.inFlight += 1;
    this.write(batch.map((entry) => entry.item))
      .then(
        (results) =>
          batch.forEach((entry, i) =>
            results[i]!.status === 'fulfilled' ? entry.resolve(results[i]!.value) : entry.reject(results[i]!.reason),
          ),
        (error) => batch.forEach((entry) => entry.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        this.next();
      });
  }
}
