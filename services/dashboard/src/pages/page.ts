/** What the router hands each page: where to draw, the route's parameters, and a signal that aborts when the user leaves. */
export interface PageContext {
  root: HTMLElement;
  params: Record<string, string>;
  signal: AbortSignal;
}

export type Page = (context: PageContext) => void | Promise<void>;

/** Runs `task` now and every `ms` until the page is left; a slow task never overlaps itself. */
export function every(ms: number, signal: AbortSignal, task: () => Promise<boolean | void>): void {
  const run = async () => {
    if (signal.aborted) return;
    const again = await task().catch(() => true);
    if (again !== false && !signal.aborted) setTimeout(run, ms);
  };
  void run();
}
