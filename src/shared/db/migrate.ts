import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { projectRoot, quoteIdentifier, redactConnectionString } from './database';
import { parseMultiHostUrl, pgConnectionConfig } from './multi-host';

/**
 * Applies prisma/migrations/* with node-postgres, keeping Prisma's own bookkeeping table
 * `_prisma_migrations` in exactly Prisma's format. The running gateway therefore needs no Prisma
 * CLI or schema-engine binary (which Prisma would download), while `prisma migrate status` /
 * `prisma migrate deploy` (used by the Docker image) still see the same history and agree.
 *
 * Differences from `prisma migrate deploy`, on purpose: each migration runs in one transaction
 * together with its bookkeeping row, so a failure leaves nothing behind and the next run simply
 * retries it (Prisma runs scripts without a transaction and records a failed row instead).
 * Consequently a migration must not contain statements that cannot run inside a transaction
 * (CREATE INDEX CONCURRENTLY, VACUUM, its own COMMIT).
 */

/**
 * The advisory lock key Prisma Migrate itself takes on PostgreSQL (pg_advisory_lock(72707369)).
 * Sharing it means this migrator and a concurrent `prisma migrate deploy` exclude each other too,
 * not only two replicas of the gateway starting together.
 */
export const MIGRATION_LOCK_KEY = 72707369n;

export const MIGRATIONS_TABLE = '_prisma_migrations';

export interface MigrationOptions {
  /** Defaults to <project root>/prisma/migrations. */
  migrationsDir?: string;
  log?: (msg: string) => void;
}

export interface MigrationResult {
  /** Migrations this call applied, in the order applied. */
  applied: string[];
  /** Migrations found already applied when the lock was obtained. */
  alreadyApplied: string[];
}

export interface MigrationFile {
  name: string;
  sqlPath: string;
  script: string;
  /** Lowercase hex SHA-256 of the file's bytes, as Prisma records it. */
  checksum: string;
}

/** An inconsistent migration history or a failed migration; the message names the migration. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

export function defaultMigrationsDir(): string {
  return path.join(projectRoot(), 'prisma', 'migrations');
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Whether `script` matches a recorded checksum. Like Prisma's engine, the same script with the
 * other line-ending style counts as unchanged, because git's autocrlf rewrites line endings on
 * checkout and that must not make a deployed migration look modified.
 */
export function checksumMatches(script: string, recordedChecksum: string): boolean {
  const recorded = recordedChecksum.toLowerCase();
  if (sha256Hex(script) === recorded) return true;
  const lf = script.replace(/\r\n/g, '\n');
  if (sha256Hex(lf) === recorded) return true;
  return sha256Hex(lf.replace(/\n/g, '\r\n')) === recorded;
}

/** The migrations on disk in name order (Prisma's names start with a sortable timestamp). */
export async function readMigrations(
  migrationsDir: string = defaultMigrationsDir(),
): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationError(
      `Cannot read the migrations directory ${migrationsDir}: ${(error as Error).message}`,
    );
  }
  await checkLockFile(migrationsDir);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const sqlPath = path.join(migrationsDir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(sqlPath);
    } catch (error) {
      throw new MigrationError(
        `Migration ${name} has no readable migration.sql (${(error as Error).message})`,
      );
    }
    migrations.push({ name, sqlPath, script: bytes.toString('utf8'), checksum: sha256Hex(bytes) });
  }
  return migrations;
}

/** Refuses migrations written for another database, as Prisma does via migration_lock.toml. */
async function checkLockFile(migrationsDir: string): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8');
  } catch {
    return; // Prisma treats a missing lock file as "no provider recorded".
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(text)?.[1];
  if (provider !== undefined && provider !== 'postgresql') {
    throw new MigrationError(
      `${migrationsDir}/migration_lock.toml says provider "${provider}", but this is PostgreSQL`,
    );
  }
}

/**
 * The schema holding the migrated tables and the bookkeeping table. Prisma reads it from the
 * URL's `schema` parameter (default public) and sets search_path to it; so does this migrator,
 * so that both put `_prisma_migrations` in the same place.
 */
function targetSchema(connectionString: string): string {
  try {
    const url = parseMultiHostUrl(connectionString)?.firstHostUrl ?? connectionString;
    return new URL(url).searchParams.get('schema') || 'public';
  } catch {
    return 'public';
  }
}

async function connect(connectionString: string): Promise<Client> {
  const client = new Client(pgConnectionConfig(connectionString));
  // An idle client whose server goes away emits 'error'; without a listener that would crash
  // the process. The failure surfaces anyway on the next query.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new MigrationError(
      `Cannot connect to ${redactConnectionString(connectionString)}: ${(error as Error).message}`,
    );
  }
  return client;
}

async function useSchema(client: Client, schema: string, create: boolean): Promise<void> {
  if (create && schema !== 'public')
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  await client.query(`SET search_path TO ${quoteIdentifier(schema)}`);
}

async function tableExists(client: Client, schema: string): Promise<boolean> {
  const result = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
    `${quoteIdentifier(schema)}.${quoteIdentifier(MIGRATIONS_TABLE)}`,
  ]);
  return result.rows[0]?.found != null;
}

async function readRows(client: Client): Promise<MigrationRow[]> {
  const result = await client.query<MigrationRow>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at
       FROM ${quoteIdentifier(MIGRATIONS_TABLE)} ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

/** Prisma's own DDL for the table, so that Prisma's CLI accepts a database migrated here. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE ${quoteIdentifier(MIGRATIONS_TABLE)} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Compares the recorded history with the files and returns the names already applied. Every
 * problem is collected first, so that one run reports all of them, and nothing is applied on
 * top of a history that does not match the code.
 */
function checkHistory(migrations: MigrationFile[], rows: MigrationRow[]): Set<string> {
  const onDisk = new Map(migrations.map((m) => [m.name, m]));
  const problems: string[] = [];
  const applied = new Set<string>();
  // Rows marked rolled back (`prisma migrate resolve --rolled-back`) no longer count: the
  // migration is pending again.
  for (const row of rows.filter((r) => r.rolled_back_at === null)) {
    const file = onDisk.get(row.migration_name);
    if (row.finished_at === null) {
      problems.push(
        `Migration ${row.migration_name} is recorded as started at ${row.started_at.toISOString()} but never finished ` +
          `(a failed run). Repair the database by hand, then run \`prisma migrate resolve --rolled-back ${row.migration_name}\` ` +
          `(to retry it) or \`--applied\` (if it is in fact complete).` +
          (row.logs ? ` Recorded log: ${row.logs.slice(0, 500)}` : ''),
      );
      continue;
    }
    if (!file) {
      problems.push(
        `Migration ${row.migration_name} is applied to the database but missing from the migrations directory ` +
          `(deleted or renamed?). The database may be newer than this code.`,
      );
      continue;
    }
    if (!checksumMatches(file.script, row.checksum)) {
      problems.push(
        `Migration ${row.migration_name} was modified after it was applied (recorded checksum ${row.checksum}, ` +
          `file ${file.checksum}). Restore ${file.sqlPath} and put the change in a new migration.`,
      );
      continue;
    }
    applied.add(row.migration_name);
  }
  if (problems.length > 0) {
    throw new MigrationError(
      problems.length === 1
        ? problems[0]!
        : `The migration history is inconsistent:\n- ${problems.join('\n- ')}`,
    );
  }
  return applied;
}

/** "line L, column C" of a 1-based character offset reported by PostgreSQL in `position`. */
function describePosition(script: string, position: string | undefined): string {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset <= 0) return '';
  const before = script.slice(0, offset - 1);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n') - 1;
  return ` at line ${line}, column ${column}`;
}

async function applyOne(client: Client, migration: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    // One simple-protocol query runs the whole multi-statement script inside the transaction.
    await client.query(migration.script);
    await client.query(
      `INSERT INTO ${quoteIdentifier(MIGRATIONS_TABLE)}
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const pgError = error as Error & { code?: string; position?: string; detail?: string };
    throw new MigrationError(
      `Migration ${migration.name} failed${describePosition(migration.script, pgError.position)} and was rolled back: ` +
        `${pgError.message}${pgError.code ? ` (SQLSTATE ${pgError.code})` : ''}${pgError.detail ? `. ${pgError.detail}` : ''}`,
    );
  }
}

/**
 * Applies every pending migration, each in its own transaction with its `_prisma_migrations`
 * row. Holds Prisma's advisory lock on a dedicated connection for the whole run, so concurrent
 * callers (replicas starting together) run one after the other; the later ones then find
 * everything applied.
 */
export async function applyMigrations(
  connectionString: string,
  options: MigrationOptions = {},
): Promise<MigrationResult> {
  const log = options.log ?? (() => undefined);
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  // Read the files before taking the lock: a broken directory fails without waiting.
  const migrations = await readMigrations(migrationsDir);
  const schema = targetSchema(connectionString);

  const client = await connect(connectionString);
  let locked = false;
  try {
    const key = MIGRATION_LOCK_KEY.toString();
    const attempt = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS ok',
      [key],
    );
    if (!attempt.rows[0]?.ok) {
      log('Another process is applying migrations; waiting for it to finish');
      await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    }
    locked = true;

    await useSchema(client, schema, true);
    // Checked first rather than CREATE TABLE IF NOT EXISTS, which needs the CREATE privilege
    // even when the table exists.
    if (!(await tableExists(client, schema))) {
      await client.query(CREATE_MIGRATIONS_TABLE);
      log(`Created ${schema}.${MIGRATIONS_TABLE}`);
    }

    const appliedBefore = checkHistory(migrations, await readRows(client));
    const alreadyApplied = migrations.filter((m) => appliedBefore.has(m.name)).map((m) => m.name);
    const pending = migrations.filter((m) => !appliedBefore.has(m.name));
    const applied: string[] = [];
    for (const migration of pending) {
      const startedMs = Date.now();
      log(`Applying migration ${migration.name}`);
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`Applied migration ${migration.name} in ${Date.now() - startedMs} ms`);
    }
    return { applied, alreadyApplied };
  } finally {
    // Closing the session would release the lock too; unlocking first frees the next waiter
    // without waiting for the disconnect to be noticed.
    if (locked)
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()])
        .catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** What readiness needs of a pool: one query at a time, no dedicated connection. */
export interface MigrationQueryable {
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Pending migrations for a long-running process: the files are read once (they cannot change
 * under a running process), and each check is one query on the caller's pool, never a new
 * connection. That query also proves the database answers. A missing bookkeeping table
 * (undefined_table, 42P01) means nothing is applied yet.
 */
export async function createPendingMigrationsCheck(
  connectionString: string,
  options: Pick<MigrationOptions, 'migrationsDir'> = {},
): Promise<(pool: MigrationQueryable) => Promise<string[]>> {
  const names = (await readMigrations(options.migrationsDir ?? defaultMigrationsDir())).map(
    (m) => m.name,
  );
  const table = `${quoteIdentifier(targetSchema(connectionString))}.${quoteIdentifier(MIGRATIONS_TABLE)}`;
  const sql = `SELECT DISTINCT migration_name FROM ${table} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  return async (pool) => {
    let rows: { migration_name: string }[];
    try {
      rows = (await pool.query<{ migration_name: string }>(sql)).rows;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return [...names];
      throw error;
    }
    const applied = new Set(rows.map((row) => row.migration_name));
    return names.filter((name) => !applied.has(name));
  };
}

/**
 * Migrations on disk that the database has not applied (all of them if the bookkeeping table
 * does not exist yet). For readiness probes: it takes no lock, changes nothing and does not
 * verify checksums; applyMigrations is where an inconsistent history is reported.
 */
export async function pendingMigrations(
  connectionString: string,
  options: Pick<MigrationOptions, 'migrationsDir'> = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const schema = targetSchema(connectionString);
  const client = await connect(connectionString);
  try {
    if (!(await tableExists(client, schema))) return migrations.map((m) => m.name);
    const result = await client.query<{ migration_name: string }>(
      `SELECT DISTINCT migration_name FROM ${quoteIdentifier(schema)}.${quoteIdentifier(MIGRATIONS_TABLE)}
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Set(result.rows.map((row) => row.migration_name));
    return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
  } finally {
    await client.end().catch(() => undefined);
  }
}
