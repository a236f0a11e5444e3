/**
 * The kinds of work that travel through the training queue (BullMQ's job name). Each must have a
 * handler in every worker; `assertHandlersComplete` checks that at start-up, so a worker never takes a
 * job it cannot run.
 */
export const JOB_TYPES = ['train'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && (JOB_TYPES as readonly string[]).includes(value);
}

export function assertHandlersComplete(handlers: Partial<Record<string, unknown>>): void {
  const missing = JOB_TYPES.filter((type) => typeof handlers[type] !== 'function');
  const unknown = Object.keys(handlers).filter((name) => !isJobType(name));
  if (missing.length > 0 || unknown.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`no handler for job type(s) ${missing.join(', ')}`);
    if (unknown.length > 0) parts.push(`handler(s) for unknown job type(s) ${unknown.join(', ')}`);
    throw new Error(`queue consumer misconfigured: ${parts.join('; ')}`);
  }
}
