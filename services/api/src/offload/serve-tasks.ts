/**
 * The task loop of a pooled background process (background-process-pool.ts): its script registers the
 * task once, and each message `{ id, workerData }` is answered `{ id, answer }`. A task's state lives
 * in its call, so nothing one task leaves behind reaches the next.
 */
export function serveTasks(task: (workerData: unknown) => Promise<unknown>): void {
  const answer = async ({ id, workerData }: { id: number; workerData: unknown }): Promise<void> => {
    try {
      process.send!({ id, answer: await task(workerData) });
    } catch (error) {
      process.send!({ id, failure: (error as { message?: string }).message ?? String(error) });
    }
  };
  process.on('message', (message: { id: number; workerData: unknown }) => void answer(message));
}
