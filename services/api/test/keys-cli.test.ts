/**
 * `trainyard keys` as an operator runs it: a real process against a fresh, empty database (it applies
 * the migrations itself); the printed key then works against the API, and stops working once revoked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, databaseInternals, type TestDatabase } from '@trainyard/db/testing';
import { openDatabase } from '@trainyard/db';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase({ migrate: false });
});
after(async () => database?.drop());

async function trainyard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: database.url } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('keys create prints the key alone on the last stdout line; the key is stored hashed; revoke disables it', async () => {
  const first = await trainyard('keys', 'create', '--tenant', 'acme');
  assert.equal(first.code, 0, first.stderr);
  const key = first.stdout.trim().split('\n').at(-1)!;
  assert.match(key, /^ty_[A-Za-z0-9_-]{43}$/);
  assert.ok(!first.stderr.includes(key), 'the key is not repeated in the log');

  const second = await trainyard('keys', 'create', '--tenant', 'acme');
  const key2 = second.stdout.trim().split('\n').at(-1)!;
  assert.notEqual(key2, key);

  const db = openDatabase(database.url, { max: 2 });
  try {
    assert.equal(await databaseInternals(db).prisma.tenant.count(), 1, 'the tenant is created once');
    assert.equal((await db.tenants.authenticate(key))?.tenant.name, 'acme');
    const rows = await databaseInternals(db).prisma.apiKey.findMany();
    assert.ok(rows.every((row) => row.hash !== key && row.hash.length === 64));

    const listed = await trainyard('keys', 'list', '--tenant', 'acme');
    assert.equal(listed.stdout.trim().split('\n').length, 2);
    assert.ok(!listed.stdout.includes(key));

    const revoked = await trainyard('keys', 'revoke', '--tenant', 'acme', key);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await db.tenants.authenticate(key), null);
    assert.equal((await db.tenants.authenticate(key2))?.tenant.name, 'acme', 'other keys keep working');
    assert.equal((await trainyard('keys', 'revoke', '--tenant', 'acme', key)).code, 1, 'nothing left to revoke');
  } finally {
    await db.close();
  }
});

test("keys revoke --tenant never revokes another tenant's key, even one with the same prefix", async () => {
  const db = openDatabase(database.url, { max: 2 });
  try {
    const mine = (await trainyard('keys', 'create', '--tenant', 'prefix-owner')).stdout.trim().split('\n').at(-1)!;
    const theirs = (await trainyard('keys', 'create', '--tenant', 'prefix-other')).stdout.trim().split('\n').at(-1)!;
    // Give the other tenant's key the same listed prefix, as chance (or a hostile admin script) could.
    const prefix = (await db.tenants.authenticate(mine))!.apiKey.prefix;
    await databaseInternals(db).prisma.apiKey.updateMany({
      where: { hash: (await db.tenants.authenticate(theirs))!.apiKey.hash },
      data: { prefix },
    });

    const refused = await trainyard('keys', 'revoke', '--tenant', 'prefix-other', mine);
    assert.equal(refused.code, 1, 'a whole key of another tenant matches nothing');
    assert.match(refused.stderr, /no active key of tenant prefix-other matches/);
    assert.equal((await db.tenants.authenticate(mine))?.tenant.name, 'prefix-owner');

    const byPrefix = await trainyard('keys', 'revoke', '--tenant', 'prefix-owner', prefix);
    assert.equal(byPrefix.code, 0, byPrefix.stderr);
    assert.match(byPrefix.stderr, /revoked 1 key\b/);
    assert.equal(await db.tenants.authenticate(mine), null);
    assert.equal(
      (await db.tenants.authenticate(theirs))?.tenant.name,
      'prefix-other',
      "the other tenant's key with that prefix still works",
    );

    assert.equal((await trainyard('keys', 'revoke', '--tenant', 'nobody-here', prefix)).code, 1, 'unknown tenant');
  } finally {
    await db.close();
  }
});

test('bad command lines are usage errors (exit 2) with a message', async () => {
  for (const args of [
    ['keys', 'create'],
    ['keys', 'create', '--tenant', '../x'],
    ['keys', 'frobnicate'],
    ['keys', 'revoke'],
    ['keys', 'revoke', 'ty_abcdefghijklmnop'],
    ['keys', 'revoke', '--tenant', 'acme'],
  ]) {
    const result = await trainyard(...args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /usage: trainyard keys/);
    assert.equal(result.stdout, '');
  }
});
