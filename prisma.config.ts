// Prisma CLI configuration (generate, validate, migrate deploy). The URL is read with a fallback,
// not env(), so that `prisma generate` works without DATABASE_URL (see shared notes on Prisma 7).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
