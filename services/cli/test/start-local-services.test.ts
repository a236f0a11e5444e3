/**
 * `trainyard start`'s embedded defaults for real: with nothing on the Postgres and Redis ports, it
 * starts an embedded PostgreSQL and a private redis-server under the data folder, and stops them.
 * (Free ports stand in for 5432 and 6379, which the shared servers hold on this machine.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { resolveLocalServices } from '../src/commands/start/local-services.js';
import { freePort, isListening } from '@trainyard/contracts/ports';

const scratch = await mkdtemp(join(tmpdir(), 'trainyard-start-'));
// Postgres runs as the `postgres` user when the tests run as root: it must reach the data folder.
await chmod(scratch, 0o755);
after(() => rm(scratch, { recursive: true, force: true }));

test('nothing listening: an embedded PostgreSQL and a private redis-server start under ./data and stop again', async () => {
  const ports = { postgres: await freePort(), redis: await freePort() };
  const messages: string[] = [];
  const services = await resolveLocalServices({}, { dataDir: join(scratch, 'data'), ports, log: (m) => messages.push(m) });
  try {
    assert.equal(services.databaseUrl, `postgres://postgres@127.0.0.1:${ports.postgres}/trainyard`);
    const client = new pg.Client({ connectionString: services.databaseUrl.replace('/trainyard', '/postgres') });
    await client.connect();
    const { rows } = await client.query('SHOW data_directory');
    await client.end();
    assert.equal(rows[0].data_directory, join(scratch, 'data', 'postgres'));

    assert.match(services.redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const redis = new Redis(services.redisUrl);
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
    // A second `trainyard start` in the same folder shares the private Redis instead of starting another.
    const port = Number((await readFile(join(scratch, 'data', 'redis', 'port'), 'utf8')).trim());
    assert.equal(services.redisUrl, `redis://127.0.0.1:${port}`);
    assert.equal(messages.length, 2, messages.join('\n'));
  } finally {
    await services.stop();
  }
  assert.equal(await isListening('127.0.0.1', ports.postgres), false);
  assert.equal(await isListening('127.0.0.1', Number(new URL(services.redisUrl).port)), false);
});

test('URLs that are given are used as they are, and nothing is started', async () => {
  const services = await resolveLocalServices(
    { DATABASE_URL: 'postgres://user@db.example:5432/x', REDIS_URL: 'redis://cache.example:6379' },
    { dataDir: join(scratch, 'unused'), log: () => assert.fail('nothing should start') },
  );
  assert.equal(services.databaseUrl, 'postgres://user@db.example:5432/x');
  assert.equal(services.redisUrl, 'redis://cache.example:6379');
  await services.stop();
});
