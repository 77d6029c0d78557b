// Proves that applyMigrations writes Prisma-format _prisma_migrations rows, is idempotent, serialises concurrent runs, and refuses modified, failed or vanished migrations.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  applyMigrations,
  defaultMigrationsDir,
  MIGRATION_LOCK_KEY,
  MigrationError,
  pendingMigrations,
} from '../../src/shared/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const created: TestDatabase[] = [];
const tempDirs: string[] = [];

/** A fresh, empty database (not the migrated template): migrations are what is under test. */
async function freshDatabase(label: string): Promise<string> {
  const db = await createTestDatabase(label, { empty: true });
  created.push(db);
  return db.connectionString;
}

async function query<T extends Record<string, unknown>>(
  connectionString: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A scratch copy of prisma/migrations that a test may change without touching the real one. */
async function copyOfMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-migrations-'));
  tempDirs.push(dir);
  await fs.cp(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await fs.mkdir(path.join(dir, name));
  await fs.writeFile(path.join(dir, name, 'migration.sql'), sql);
}

async function migrationNamesOnDisk(dir = defaultMigrationsDir()): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

afterAll(async () => {
  await Promise.all(created.map((db) => db.drop()));
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe('applyMigrations', () => {
  it('applies everything to an empty database and records it exactly as Prisma does', async () => {
    const url = await freshDatabase('migrate_fresh');
    const onDisk = await migrationNamesOnDisk();
    expect(onDisk.length).toBeGreaterThan(0);
    expect(await pendingMigrations(url)).toEqual(onDisk);

    const result = await applyMigrations(url);
    expect(result).toEqual({ applied: onDisk, alreadyApplied: [] });

    // The table has Prisma's column types, nullability and defaults.
    const columns = await query<{
      column_name: string;
      data_type: string;
      max: number | null;
      is_nullable: string;
      column_default: string | null;
    }>(
      url,
      `SELECT column_name, data_type, character_maximum_length AS max, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        max: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        max: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        max: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        max: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        max: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        max: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        max: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        max: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);

    const rows = await query<{
      id: string;
      checksum: string;
      finished_at: Date | null;
      migration_name: string;
      logs: string | null;
      rolled_back_at: Date | null;
      started_at: Date;
      applied_steps_count: number;
    }>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(onDisk);
    for (const row of rows) {
      const file = await fs.readFile(
        path.join(defaultMigrationsDir(), row.migration_name, 'migration.sql'),
      );
      expect(row.id).toMatch(UUID);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }

    // The schema itself is there.
    const [tables] = await query<{ n: string }>(
      url,
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    );
    expect(Number(tables!.n)).toBeGreaterThan(0);
    expect(await pendingMigrations(url)).toEqual([]);

    // A second run applies nothing and writes nothing.
    const again = await applyMigrations(url);
    expect(again).toEqual({ applied: [], alreadyApplied: onDisk });
    expect(await query(url, 'SELECT id FROM _prisma_migrations')).toHaveLength(rows.length);
  });

  it('lets two concurrent runs on a fresh database both succeed, recording each migration once', async () => {
    const url = await freshDatabase('migrate_concurrent');
    // A deliberately slow last migration keeps the first run inside the lock long enough that
    // the second one certainly arrives while it is held.
    const dir = await copyOfMigrations();
    await addMigration(
      dir,
      '29991231000000_slow',
      'SELECT pg_sleep(0.5);\nCREATE TABLE "slow_marker" ("id" INTEGER);\n',
    );
    const onDisk = await migrationNamesOnDisk(dir);

    const logs: string[][] = [[], []];
    const results = await Promise.all(
      [0, 1].map((i) => applyMigrations(url, { migrationsDir: dir, log: (m) => logs[i]!.push(m) })),
    );

    const appliedCounts = results.map((r) => r.applied.length).sort();
    expect(appliedCounts).toEqual([0, onDisk.length]);
    const loser = results.find((r) => r.applied.length === 0)!;
    expect(loser.alreadyApplied).toEqual(onDisk);
    expect(logs.flat().some((m) => /waiting/i.test(m))).toBe(true);

    const counts = await query<{ migration_name: string; n: string }>(
      url,
      'SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
    );
    expect(counts).toEqual(onDisk.map((name) => ({ migration_name: name, n: '1' })));
  });

  it('refuses an applied migration whose file was modified, but accepts other line endings', async () => {
    const url = await freshDatabase('migrate_modified');
    const dir = await copyOfMigrations();
    const [first] = await migrationNamesOnDisk(dir);
    await applyMigrations(url, { migrationsDir: dir });

    const file = path.join(dir, first!, 'migration.sql');
    const original = await fs.readFile(file, 'utf8');

    // The same script after a CRLF checkout is not a modification (Prisma agrees).
    await fs.writeFile(file, original.replace(/\r?\n/g, '\r\n'));
    await expect(applyMigrations(url, { migrationsDir: dir })).resolves.toMatchObject({
      applied: [],
    });

    await fs.writeFile(file, `${original}\n-- an edit after deployment\n`);
    const attempt = applyMigrations(url, { migrationsDir: dir });
    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(attempt).rejects.toThrow(new RegExp(`Migration ${first} was modified`));
  });

  it('refuses a migration recorded as failed and one that no longer exists on disk', async () => {
    const url = await freshDatabase('migrate_history');
    await applyMigrations(url);

    await query(
      url,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, '29990101000000_half_done', now(), 0)`,
      ['00000000-0000-4000-8000-000000000001', 'a'.repeat(64)],
    );
    await expect(applyMigrations(url)).rejects.toThrow(
      /Migration 29990101000000_half_done is recorded as started .* never finished/,
    );

    // Once marked rolled back it no longer counts, as with `prisma migrate resolve --rolled-back`.
    await query(
      url,
      `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '29990101000000_half_done'`,
    );
    await expect(applyMigrations(url)).resolves.toMatchObject({ applied: [] });

    await query(
      url,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), '20000101000000_vanished', now(), 1)`,
      ['00000000-0000-4000-8000-000000000002', 'b'.repeat(64)],
    );
    await expect(applyMigrations(url)).rejects.toThrow(
      /Migration 20000101000000_vanished is applied to the database but missing/,
    );
  });

  it('rolls a failing migration back completely and names it with the failing line', async () => {
    const url = await freshDatabase('migrate_failing');
    const dir = await copyOfMigrations();
    const name = '29991231000000_broken';
    await addMigration(
      dir,
      name,
      'CREATE TABLE "half_made" ("id" INTEGER);\n\nSELECT no_such_function();\n',
    );

    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(
        `Migration ${name} failed at line 3, column 8 and was rolled back: function no_such_function\\(\\) does not exist`,
      ),
    );
    // Earlier migrations stay applied; the broken one left neither a table nor a row behind.
    expect(await pendingMigrations(url, { migrationsDir: dir })).toEqual([name]);
    expect(await query(url, `SELECT to_regclass('half_made') AS t`)).toEqual([{ t: null }]);

    // Fixed, it applies on the next run.
    await fs.writeFile(
      path.join(dir, name, 'migration.sql'),
      'CREATE TABLE "half_made" ("id" INTEGER);\n',
    );
    await expect(applyMigrations(url, { migrationsDir: dir })).resolves.toMatchObject({
      applied: [name],
    });
  });
});

describe('pendingMigrations', () => {
  it('lists unapplied migrations without taking the migration lock', async () => {
    const url = await freshDatabase('migrate_pending');
    const dir = await copyOfMigrations();
    const base = await migrationNamesOnDisk(dir);
    await applyMigrations(url, { migrationsDir: dir });
    await addMigration(dir, '29991231000000_next', 'CREATE TABLE "next_thing" ("id" INTEGER);\n');

    // Another session holds the migration lock; a readiness probe must still answer.
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      await expect(pendingMigrations(url, { migrationsDir: dir })).resolves.toEqual([
        '29991231000000_next',
      ]);
      await expect(pendingMigrations(url)).resolves.toEqual([]);
    } finally {
      await holder.end();
    }
    expect(base).not.toContain('29991231000000_next');
  });
});
