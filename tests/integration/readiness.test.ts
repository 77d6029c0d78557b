// Proves that the readiness check reports migrations missing from the database, sees them applied without rereading files, shares one answer among concurrent callers, and says "unreachable" when the pool fails.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import pg from 'pg';
import { defaultMigrationsDir } from '../../src/shared/db/migrate';
import { createReadinessCheck } from '../../src/shared/readiness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

let testDb: TestDatabase;
let pool: pg.Pool;
let dir: string;

beforeAll(async () => {
  testDb = await createTestDatabase('readiness_check');
  pool = new pg.Pool({ connectionString: testDb.connectionString, max: 2 });
  // The real migrations plus one the database has not seen.
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-readiness-'));
  await fs.cp(defaultMigrationsDir(), dir, { recursive: true });
  await fs.mkdir(path.join(dir, '29991231000000_next'));
  await fs.writeFile(path.join(dir, '29991231000000_next', 'migration.sql'), 'SELECT 1;\n');
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

it('reports the pending migration, then ready once it is recorded, reading the files only once', async () => {
  const check = await createReadinessCheck({
    pool,
    connectionString: testDb.connectionString,
    cacheMs: 0,
    migrationsDir: dir,
  });
  expect(await check()).toEqual({
    ready: false,
    database: 'ok',
    pendingMigrations: ['29991231000000_next'],
  });
  // The files are gone: a check that reread them would fail or change its answer.
  await fs.rm(path.join(dir, '29991231000000_next'), { recursive: true });
  await pool.query(
    `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
     VALUES (gen_random_uuid()::text, 'x', now(), '29991231000000_next', 1)`,
  );
  expect(await check()).toEqual({ ready: true, database: 'ok' });
});

it('shares one check among concurrent callers and keeps the answer for cacheMs', async () => {
  let queries = 0;
  const counting = { query: (sql: string) => (queries++, pool.query(sql)) } as unknown as pg.Pool;
  const check = await createReadinessCheck({
    pool: counting,
    connectionString: testDb.connectionString,
    cacheMs: 60_000,
  });
  const answers = await Promise.all(Array.from({ length: 50 }, () => check()));
  expect(answers.every((a) => a.ready)).toBe(true);
  await check();
  expect(queries).toBe(1);
});

it('says unreachable when the pool cannot reach its server', async () => {
  // A real pool aimed at a port where nothing listens.
  const nowhere = `postgresql://postgres@127.0.0.1:${await getPort({ host: '127.0.0.1' })}/postgres`;
  const unreachable = new pg.Pool({ connectionString: nowhere, connectionTimeoutMillis: 5_000 });
  try {
    const check = await createReadinessCheck({
      pool: unreachable,
      connectionString: nowhere,
      cacheMs: 0,
    });
    expect(await check()).toEqual({ ready: false, database: 'unreachable' });
  } finally {
    await unreachable.end();
  }
});
