// Prisma CLI configuration. The datasource URL lives here (Prisma 7), read from DATABASE_URL;
// `prisma generate` does not need it, `prisma migrate deploy` (the Docker image) does.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
