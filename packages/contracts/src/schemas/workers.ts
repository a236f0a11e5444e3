/** /v1/workers: the live workers, what each trains on and how busy it is (counts only, no job ids). */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum, Timestamp, json, keyOperation } from './common.js';
import { DeviceSchema } from './jobs.js';

export const WorkerViewSchema = Type.Object(
  {
    id: Type.String(),
    engine: Nullable(Type.String({ description: 'The engine its training children load' })),
    device: Nullable(DeviceSchema),
    accelerator: Nullable(StringEnum(['gpu', 'cpu'], { description: 'The class of jobs it takes (resources.accelerator), besides "any"' })),
    runningJobs: Type.Integer({ minimum: 0, description: "Jobs it trains now, of every tenant (a count: no tenant sees another's jobs)" }),
    imagesPerSecond: Type.Number({ description: 'Training throughput of its running jobs together' }),
    lastSeenAt: Timestamp,
  },
  { title: 'Worker' },
);
export type WorkerView = Static<typeof WorkerViewSchema>;

export const WorkerListSchema = Type.Object({ workers: Type.Array(WorkerViewSchema) });
export type WorkerList = Static<typeof WorkerListSchema>;

export const listWorkers = keyOperation('GET', '/v1/workers', {
  operationId: 'listWorkers',
  summary: 'The live workers: engine, device, accelerator class, running jobs, throughput',
  tags: ['workers'],
  response: { 200: json('Workers that reported within the last minute', WorkerListSchema) },
});
