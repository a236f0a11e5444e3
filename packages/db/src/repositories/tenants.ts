/** Tenants and their API keys. */
import type pg from 'pg';
import type { ApiKey, PrismaClient, Tenant } from '../../generated/prisma/client.js';
import { storedBytes } from '../tenant-limit.js';
import { apiKeyPrefix, generateApiKey, hashApiKey, hashesEqual, looksLikeApiKey } from '../api-key-secret.js';

export interface Authenticated {
  tenant: Tenant;
  apiKey: ApiKey;
}

const KEY_WITH_TENANT = {
  name: 'trainyard.api-keys.with-tenant',
  text: `SELECT k.id, k.tenant_id AS "tenantId", k.prefix, k.hash, k.created_at AS "createdAt", k.revoked_at AS "revokedAt",
                k.last_used_at AS "lastUsedAt", t.name AS "tenantName", t.created_at AS "tenantCreatedAt"
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = $1`,
};

export class TenantRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  async findOrCreate(name: string): Promise<{ tenant: Tenant; created: boolean }> {
    const existing = await this.prisma.tenant.findUnique({ where: { name } });
    if (existing) return { tenant: existing, created: false };
    // Two concurrent creators: the unique name decides, and the loser reads the winner's row.
    const rows = await this.prisma.$queryRaw<Tenant[]>`
      INSERT INTO tenants (name) VALUES (${name}) ON CONFLICT (name) DO NOTHING
      RETURNING id, name, created_at AS "createdAt"`;
    if (rows[0]) return { tenant: rows[0], created: true };
    return { tenant: await this.prisma.tenant.findUniqueOrThrow({ where: { name } }), created: false };
  }

  findByName(name: string): Promise<Tenant | null> {
    return this.prisma.tenant.findUnique({ where: { name } });
  }

  findById(id: string): Promise<Tenant | null> {
    return this.prisma.tenant.findUnique({ where: { id } });
  }

  /** A new key for the tenant; the plain key is returned once and never stored. */
  async createApiKey(tenantId: string): Promise<{ key: string; apiKey: ApiKey }> {
    const key = generateApiKey();
    const apiKey = await this.prisma.apiKey.create({
      data: { tenantId, prefix: apiKeyPrefix(key), hash: hashApiKey(key) },
    });
    return { key, apiKey };
  }

  /**
   * The tenant of an active key, or null for an unknown, malformed or revoked key. One query on the
   * pool (every request's first step when the key is not cached; Prisma's findUnique with its
   * relation costs several times more CPU).
   */
  async authenticate(key: string): Promise<Authenticated | null> {
    if (!looksLikeApiKey(key)) return null;
    const hash = hashApiKey(key);
    const { rows } = await this.pool.query<ApiKey & { tenantName: string; tenantCreatedAt: Date }>({ ...KEY_WITH_TENANT, values: [hash] });
    const row = rows[0];
    if (!row || row.revokedAt !== null || !hashesEqual(row.hash, hash)) return null;
    const { tenantName, tenantCreatedAt, ...apiKey } = row;
    return { tenant: { id: apiKey.tenantId, name: tenantName, createdAt: tenantCreatedAt }, apiKey };
  }

  /**
   * Revokes the tenant's keys matching a plain key or a prefix (as printed by `keys list`); returns
   * how many were revoked. Prefixes are not unique across tenants, so another tenant's key is never
   * touched.
   */
  async revokeApiKey(tenantId: string, keyOrPrefix: string): Promise<number> {
    const where = looksLikeApiKey(keyOrPrefix) ? { hash: hashApiKey(keyOrPrefix) } : { prefix: keyOrPrefix };
    const result = await this.prisma.apiKey.updateMany({ where: { ...where, tenantId, revokedAt: null }, data: { revokedAt: new Date() } });
    return result.count;
  }

  /** Revokes one key by its id; false when there is no active key with that id. */
  async revokeApiKeyById(id: string): Promise<boolean> {
    const result = await this.prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    return result.count > 0;
  }

  /** Bytes the tenant keeps in storage: datasets, weights, checkpoints and models. */
  storedBytes(tenantId: string): Promise<number> {
    return storedBytes(this.pool, tenantId);
  }

  list(): Promise<Tenant[]> {
    return this.prisma.tenant.findMany({ orderBy: { name: 'asc' } });
  }

  listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
  }

  /** Records that the key was used; a no-op when it was recorded less than `throttleMs` ago (by any process). */
  async touchApiKey(id: string, throttleMs = 0): Promise<void> {
    const now = new Date();
    await this.prisma.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - throttleMs) } }] },
      data: { lastUsedAt: now },
    });
  }
}
