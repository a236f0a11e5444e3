export * from './job-status.js';
export * from './errors.js';
export * from './job-spec.js';
export * from './queue-message.js';
export * from './config/env-reader.js';
export * as parsers from './config/parsers.js';
export * from './config/service-config.js';
export * from './job-view.js';
export * from './tenant.js';
