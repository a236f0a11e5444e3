import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations, defaultMigrationsDir, readMigrations } from '../src/migrate.js';
import { createTestDatabase } from '../src/testing.js';

test('migrations apply once, are recorded as Prisma records them, and concurrent starts do not collide', async () => {
  const db = await createTestDatabase({ migrate: false });
  try {
    const results = await Promise.all([applyMigrations(db.url), applyMigrations(db.url), applyMigrations(db.url)]);
    const names = readMigrations(defaultMigrationsDir()).map((m) => m.name);
    assert.ok(names.length >= 1);
    assert.deepEqual(results.flatMap((r) => r.applied).sort(), names.sort(), 'each migration applied by exactly one process');

    const again = await applyMigrations(db.url);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.alreadyApplied, names);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
      );
      assert.equal(rows.length, names.length);
      const first = rows[0];
      const file = readFileSync(join(defaultMigrationsDir(), first.migration_name, 'migration.sql'));
      assert.equal(first.checksum, createHash('sha256').update(file).digest('hex'));
      assert.ok(first.finished_at instanceof Date);
      assert.equal(first.applied_steps_count, 1);
      assert.equal(first.rolled_back_at, null);
      const tables = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      assert.deepEqual(
        tables.rows.map((r) => r.tablename),
        [
          '_prisma_migrations',
          'api_keys',
          'checkpoints',
          'datasets',
          'epoch_metrics',
          'idempotency_keys',
          'job_final_metrics',
          'jobs',
          'models',
          'sweep_decisions',
          'sweeps',
          'tenants',
          'webhook_deliveries',
          'webhook_delivery_attempts',
          'webhook_events',
          'webhooks',
          'weights',
        ],
      );
    } finally {
      await client.end();
    }
  } finally {
    await db.drop();
  }
});

test('a migration changed after it was applied, or a failing one, stops start-up with a clear message', async () => {
  const db = await createTestDatabase({ migrate: false });
  const dir = mkdtempSync(join(tmpdir(), 'trainyard-migrations-'));
  try {
    mkdirSync(join(dir, '20200101000000_first'));
    writeFileSync(join(dir, '20200101000000_first', 'migration.sql'), 'CREATE TABLE a (id INTEGER);');
    assert.deepEqual((await applyMigrations(db.url, { migrationsDir: dir })).applied, ['20200101000000_first']);

    writeFileSync(join(dir, '20200101000000_first', 'migration.sql'), 'CREATE TABLE a (id BIGINT);');
    await assert.rejects(applyMigrations(db.url, { migrationsDir: dir }), /was changed after it was applied/);
    writeFileSync(join(dir, '20200101000000_first', 'migration.sql'), 'CREATE TABLE a (id INTEGER);');

    mkdirSync(join(dir, '20200102000000_broken'));
    writeFileSync(join(dir, '20200102000000_broken', 'migration.sql'), 'CREATE TABLE b (id INTEGER); SELECT nope FROM nowhere;');
    await assert.rejects(applyMigrations(db.url, { migrationsDir: dir }), /20200102000000_broken failed/);

    // The failed migration left nothing behind: neither its table nor a history row.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const b = await client.query("SELECT to_regclass('public.b') AS b");
      assert.equal(b.rows[0].b, null);
      const history = await client.query('SELECT migration_name FROM _prisma_migrations ORDER BY 1');
      assert.deepEqual(
        history.rows.map((r) => r.migration_name),
        ['20200101000000_first'],
      );
    } finally {
      await client.end();
    }
  } finally {
    await db.drop();
  }
});
