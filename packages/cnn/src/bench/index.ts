export { measureThroughput } from './measure-throughput.js';
export type { Throughput, ThroughputOptions } from './measure-throughput.js';
