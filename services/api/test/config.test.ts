import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, describeEnv, readEnv, redactUrl } from '@trainyard/contracts';
import { apiConfigVars } from '../src/config.js';

const vars = apiConfigVars;

test('defaults apply when nothing is set', () => {
  const config = readEnv(vars, {});
  assert.equal(config.port, 3000);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.storageUrl, './data/storage');
  assert.equal(config.bodyLimitBytes, 1024 * 1024);
  assert.equal(config.uploadLimitBytes, 2 * 1024 ** 3);
  assert.equal(config.rateLimitPerMinute, 600);
  assert.equal(config.maxQueuedJobsPerTenant, 1000);
  assert.deepEqual(config.corsOrigins, []);
});

test('values are parsed: sizes with units, lists, booleans, URLs', () => {
  const config = readEnv(vars, {
    PORT: '8080',
    BODY_LIMIT: '512kb',
    UPLOAD_LIMIT: '1.5gb',
    CORS_ORIGINS: 'https://a.example, https://b.example',
    TRUST_PROXY: 'yes',
    DATABASE_URL: 'postgresql://u:p@db:5432/trainyard',
    REDIS_URL: 'rediss://cache:6380/2',
    STORAGE_URL: 's3://models/trainyard',
  });
  assert.equal(config.port, 8080);
  assert.equal(config.bodyLimitBytes, 512 * 1024);
  assert.equal(config.uploadLimitBytes, Math.floor(1.5 * 1024 ** 3));
  assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example']);
  assert.equal(config.trustProxy, true);
  assert.equal(config.storageUrl, 's3://models/trainyard');
});

test('every bad value is reported at once, by name, without leaking passwords', () => {
  const error = (() => {
    try {
      readEnv(vars, {
        PORT: '70000',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        REDIS_URL: 'localhost:6379',
        STORAGE_URL: 'ftp://files',
        BODY_LIMIT: 'big',
        LOG_LEVEL: 'loud',
        RATE_LIMIT_PER_MINUTE: '-5',
      });
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(error instanceof ConfigError);
  const names = error.problems.map((p) => p.split('=')[0]);
  assert.deepEqual(names.sort(), ['BODY_LIMIT', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'RATE_LIMIT_PER_MINUTE', 'REDIS_URL', 'STORAGE_URL']);
  assert.ok(!error.message.includes('hunter2'), error.message);
  assert.match(error.message, /PORT="70000": must be a whole number between 0 and 65535/);
  assert.equal(redactUrl('postgres://u:secret@h/db'), 'postgres://u:***@h/db');
});

test('the configuration table lists every variable with its default and meaning', () => {
  const rows = describeEnv(vars);
  assert.ok(rows.some((row) => row.name === 'DATABASE_URL'));
  assert.ok(rows.every((row) => row.description.length > 5));
});
