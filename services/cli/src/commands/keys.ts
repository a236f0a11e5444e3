/**
 * `trainyard keys create --tenant NAME`, `trainyard keys revoke --tenant NAME KEY|PREFIX`, `trainyard keys list --tenant NAME`.
 * An admin command: it talks to Postgres directly (DATABASE_URL), applying migrations first, so it
 * works before the API ever ran. `create` prints the new key alone on the last line of stdout (it is
 * shown once; only its SHA-256 is stored); everything else goes to stderr.
 */
import { DEFAULT_DATABASE_URL, parsers } from '@trainyard/contracts';
import { applyMigrations, ensureDatabase, openDatabase, type Database } from '@trainyard/db';
import { parseCommandLine, UsageError, stringOption } from '../args.js';

const USAGE = [
  'usage: trainyard keys create --tenant NAME    create a key (and the tenant if new); prints the key on the last stdout line',
  '       trainyard keys revoke --tenant NAME KEY|PREFIX',
  '                                              revoke a key of that tenant, given whole or by the prefix `keys list` shows',
  "       trainyard keys list --tenant NAME      list a tenant's keys (prefixes, dates; never the keys)",
  '',
  `Connects to DATABASE_URL (default ${DEFAULT_DATABASE_URL}).`,
].join('\n');

const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;

function databaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return DEFAULT_DATABASE_URL;
  try {
    return parsers.url(['postgres', 'postgresql'])(raw);
  } catch (error) {
    throw new UsageError(`DATABASE_URL ${(error as Error).message}`);
  }
}

function tenantName(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--tenant NAME is required');
  if (!TENANT_NAME.test(value)) {
    throw new UsageError('--tenant must be 1-100 letters, digits, "_", ".", "@" or "-", starting with a letter or digit');
  }
  return value;
}

async function withDatabase<T>(env: Record<string, string | undefined>, use: (db: Database) => Promise<T>): Promise<T> {
  const url = databaseUrl(env);
  await ensureDatabase(url);
  await applyMigrations(url);
  const db = openDatabase(url, { max: 2 });
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

async function create(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandLine(argv, { tenant: { type: 'string' } });
  const name = tenantName(stringOption(values, 'tenant'));
  const key = await withDatabase(env, async (db) => {
    const { tenant, created } = await db.tenants.findOrCreate(name);
    const { key, apiKey } = await db.tenants.createApiKey(tenant.id);
    process.stderr.write(
      `${created ? 'created tenant' : 'tenant'} ${tenant.name} (${tenant.id}); new key ${apiKey.prefix}... ` +
        '(shown once below; store it now)\n',
    );
    return key;
  });
  process.stdout.write(`${key}\n`);
  return 0;
}

async function revoke(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { tenant: { type: 'string' } }, { allowPositionals: true });
  const name = tenantName(stringOption(values, 'tenant'));
  if (positionals.length !== 1) throw new UsageError('keys revoke takes one key or key prefix');
  const target = positionals[0]!;
  if (target.length < 9) throw new UsageError('give the whole key or a prefix of at least 9 characters (as `keys list` shows)');
  const revoked = await withDatabase(env, async (db) => {
    const tenant = await db.tenants.findByName(name);
    return tenant ? db.tenants.revokeApiKey(tenant.id, target) : null;
  });
  if (revoked === null) {
    process.stderr.write(`no tenant ${name}\n`);
    return 1;
  }
  if (revoked === 0) {
    process.stderr.write(`no active key of tenant ${name} matches\n`);
    return 1;
  }
  process.stderr.write(`revoked ${revoked} key${revoked === 1 ? '' : 's'}\n`);
  return 0;
}

async function list(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandLine(argv, { tenant: { type: 'string' } });
  const name = tenantName(stringOption(values, 'tenant'));
  return withDatabase(env, async (db) => {
    const tenant = await db.tenants.findByName(name);
    if (!tenant) {
      process.stderr.write(`no tenant ${name}\n`);
      return 1;
    }
    for (const key of await db.tenants.listApiKeys(tenant.id)) {
      const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
      process.stdout.write(`${key.prefix}\tcreated ${key.createdAt.toISOString()}\t${state}\n`);
    }
    return 0;
  });
}

export async function run(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [action, ...rest] = argv;
  try {
    switch (action) {
      case 'create':
        return await create(rest, env);
      case 'revoke':
        return await revoke(rest, env);
      case 'list':
        return await list(rest, env);
      case undefined:
      case '--help':
      case '-h':
        process.stderr.write(USAGE + '\n');
        return action === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown keys action "${action}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`trainyard keys: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}
