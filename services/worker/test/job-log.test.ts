/**
 * The job log as the worker writes it (JobLogs over the real Redis and storage): secrets planted in
 * its lines (the deployment's DATABASE_URL and REDIS_URL passwords, the S3 secret key, an API key, a
 * named token) never reach Redis or storage; a job that ends moves its log to storage and drops the
 * live one, a job that goes back to the queue keeps it live.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { secretsFromEnv } from '@trainyard/contracts';
import { JobChannels, parseJobLogFile } from '@trainyard/queue';
import { jobKeys, openStorage, type Storage } from '@trainyard/storage';
import { JobLogs } from '../src/job-log.js';
import { REDIS_URL } from './harness.js';

let scratch: string;
let storage: Storage;
let channels: JobChannels;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'trainyard-job-log-test-'));
  storage = openStorage(scratch);
  channels = new JobChannels({ redisUrl: REDIS_URL, prefix: `test-job-log-${randomBytes(4).toString('hex')}` });
});
after(async () => {
  await channels.close();
  await storage.close();
  await rm(scratch, { recursive: true, force: true });
});

const DATABASE_PASSWORD = 'pg-pass-4f1d9c';
const REDIS_PASSWORD = 'redis-pass-77e0b2';
const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const API_KEY = `ty_${'A1b2C3d4'.repeat(5)}xyz`;

test('secrets planted in log lines are redacted before they are stored anywhere', async () => {
  const env = {
    DATABASE_URL: `postgres://trainyard:${DATABASE_PASSWORD}@db.internal:5432/trainyard`,
    REDIS_URL: `redis://default:${REDIS_PASSWORD}@redis.internal:6379`,
    S3_SECRET_ACCESS_KEY: S3_SECRET,
  };
  const logs = new JobLogs(channels, storage, secretsFromEnv(env), pino({ level: 'silent' }));
  const jobId = `job-${randomBytes(4).toString('hex')}`;
  const log = logs.open(jobId);
  log.info(`connecting to ${env.DATABASE_URL}`);
  log.warn(`redis at redis://default:${REDIS_PASSWORD}@redis.internal:6379 refused`);
  log.error(`S3 said: signature mismatch for secret ${S3_SECRET} (check the clock)`);
  log.info(`the key ${API_KEY} was revoked; the client sent Authorization: Bearer abc.def-ghi`);
  log.info('retrying with token=abc123def456 and "password": "hunter2hunter2"');
  log.info(`an unknown URL https://someone:${encodeURIComponent('p@ss-word')}@example.com/x`);
  await log.flush();

  const live = (await channels.logSince(jobId, null, 100))!;
  assert.equal(live.length, 6);
  const secrets = [DATABASE_PASSWORD, REDIS_PASSWORD, S3_SECRET, API_KEY, 'abc.def-ghi', 'abc123def456', 'hunter2hunter2', 'p%40ss-word'];
  const leaks = (text: string) => secrets.filter((secret) => text.includes(secret));
  assert.deepEqual(leaks(JSON.stringify(live)), []);
  assert.equal(live[0]!.message, 'connecting to postgres://trainyard:[redacted]@db.internal:5432/trainyard');
  assert.equal(live[2]!.message, 'S3 said: signature mismatch for secret [redacted] (check the clock)');
  assert.equal(live[3]!.message, 'the key ty_[redacted] was revoked; the client sent Authorization: Bearer [redacted]');
  assert.equal(live[4]!.message, 'retrying with token=[redacted] and "password": "[redacted]"');
  assert.deepEqual(
    live.map((line) => line.level),
    ['info', 'warn', 'error', 'info', 'info', 'info'],
  );

  await log.close(true);
  const stored = Buffer.from(await storage.getBytes(jobKeys(jobId).logs)).toString('utf8');
  assert.deepEqual(leaks(stored), []);
  assert.deepEqual(parseJobLogFile(stored), live, 'the stored log is the live one, ids included');
  assert.equal(await channels.logSince(jobId, null, 100), null, 'the live log is gone once stored');
});

test('a job that goes back to the queue keeps its live log, and its next attempt appends to it', async () => {
  const logs = new JobLogs(channels, storage, [], pino({ level: 'silent' }));
  const jobId = `job-${randomBytes(4).toString('hex')}`;
  const first = logs.open(jobId);
  first.info('attempt 1 started');
  await first.close(false);
  assert.equal(await storage.exists(jobKeys(jobId).logs), false);
  const second = logs.open(jobId);
  second.info('attempt 2 started');
  await second.close(true);
  assert.deepEqual(
    parseJobLogFile(Buffer.from(await storage.getBytes(jobKeys(jobId).logs)).toString('utf8')).map((line) => line.message),
    ['attempt 1 started', 'attempt 2 started'],
  );
});
