// Prisma 7 CLI configuration (schema location, migrations folder, database URL).
// scripts/db-migrate.ts imports this file too, so the defaults live in one place.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    // Not `env('DATABASE_URL')`: that throws when unset, and `prisma generate` must work without a database.
    url: process.env.DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop',
  },
});
