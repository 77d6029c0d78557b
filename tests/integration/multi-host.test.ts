// Proves multi-host connection strings: the URL forms parse as libpq's do, a pool goes to the first writable host (skipping dead and read-only ones), follows a failover to another host without a restart, drops its connections to a host that turned read-only, and fails fast with SERVICE_UNAVAILABLE while no host qualifies.
import { promises as fs } from 'node:fs';
import {
  makeTempDataDir,
  startEmbeddedPostgres,
  findFreePort,
  type EmbeddedPostgresHandle,
} from '../../src/dev/embedded';
import {
  databaseNameOf,
  ensureDatabase,
  redactConnectionString,
  withClient,
  withDatabaseName,
} from '../../src/shared/db/database';
import { parseMultiHostUrl, routerFor } from '../../src/shared/db/multi-host';
import { createDatabase, type Database } from '../../src/shared/db/prisma';
import { runTransaction } from '../../src/shared/db/transaction';
import { AppError } from '../../src/shared/errors';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

describe('parsing', () => {
  it('splits the host list and keeps user, path and query', () => {
    const parsed = parseMultiHostUrl(
      'postgresql://app:s%40cret@h1:5432,h2:5433,[::1]/wallet?target_session_attrs=read-write&sslmode=disable',
    );
    expect(parsed).toMatchObject({
      hosts: [
        { host: 'h1', port: 5432 },
        { host: 'h2', port: 5433 },
        { host: '::1', port: 5432 },
      ],
      targetSessionAttrs: 'read-write',
      firstHostUrl: 'postgresql://app:s%40cret@h1:5432/wallet?sslmode=disable',
    });
  });

  it('leaves single-host URLs alone and defaults to read-write', () => {
    expect(parseMultiHostUrl('postgresql://u@h1:5432/wallet')).toBeUndefined();
    expect(parseMultiHostUrl('postgres://h1,h2/wallet')?.targetSessionAttrs).toBe('read-write');
    expect(parseMultiHostUrl('postgres://h1,h2/wallet?target_session_attrs=primary')).toMatchObject(
      { targetSessionAttrs: 'primary', firstHostUrl: 'postgres://h1:5432/wallet' },
    );
  });

  it('refuses what libpq would refuse', () => {
    expect(() => parseMultiHostUrl('postgresql://h1,/db')).toThrow(/empty host/);
    expect(() => parseMultiHostUrl('postgresql://h1,h2:99999/db')).toThrow(/invalid port/);
    expect(() => parseMultiHostUrl('postgresql://h1,h2/db?target_session_attrs=standby')).toThrow(
      /target_session_attrs/,
    );
  });

  it('the URL helpers keep the host list and hide the password', () => {
    const url = 'postgresql://app:pw@h1:5432,h2:5433/wallet?target_session_attrs=read-write';
    expect(databaseNameOf(url)).toBe('wallet');
    expect(withDatabaseName(url, 'postgres')).toBe(
      'postgresql://app:pw@h1:5432,h2:5433/postgres?target_session_attrs=read-write',
    );
    expect(redactConnectionString(url)).toBe(
      'postgresql://app:***@h1:5432,h2:5433/wallet?target_session_attrs=read-write',
    );
  });
});

describe('host selection', () => {
  let other: EmbeddedPostgresHandle;
  let temp: { parentDir: string; dataDir: string };
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let deadPort: number;
  const opened: Database[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('multihost');
    const main = new URL(testDb.connectionString);
    proxy = await startTcpProxy({ host: main.hostname, port: Number(main.port) });
    temp = await makeTempDataDir('wallet-multihost-');
    other = await startEmbeddedPostgres({ dataDir: temp.dataDir, ephemeral: true });
    await ensureDatabase(other.connectionString, testDb.name);
    deadPort = await findFreePort();
  }, 120_000);

  afterAll(async () => {
    for (const database of opened) await database.close();
    await proxy?.stop();
    await other?.stop();
    if (temp) await fs.rm(temp.parentDir, { recursive: true, force: true });
    await testDb?.drop();
  }, 60_000);

  /** Makes the second server read-only for new sessions, as a standby is for libpq's check. */
  const setOtherReadOnly = (readOnly: boolean) =>
    withClient(other.connectionString, async (client) => {
      await client.query(
        readOnly
          ? 'ALTER SYSTEM SET default_transaction_read_only = on'
          : 'ALTER SYSTEM RESET default_transaction_read_only',
      );
      await client.query('SELECT pg_reload_conf()');
    });

  const open = (url: string) => {
    const database = createDatabase({
      connectionString: url,
      poolMax: 3,
      // Covers probing the hosts too; generous for a loaded CI machine.
      connectTimeoutMs: 4000,
      statementTimeoutMs: 5000,
    });
    opened.push(database);
    return database;
  };

  /** The port of the server a transaction ran on, through the pool. */
  const serverPort = async (database: Database) =>
    // maxWait covers probing the hosts on a first connection: generous for a loaded machine.
    runTransaction(database.prisma, { maxWaitMs: 5000, timeoutMs: 8000 }, async (tx) => {
      const [row] = await tx.$queryRaw<{ port: number }[]>`
        SELECT current_setting('port')::int AS port`;
      return row!.port;
    });

  const until = async (check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('skips a dead and a read-only host, follows a failover, and leaves a demoted host', async () => {
    await setOtherReadOnly(true);
    const mainPort = Number(new URL(testDb.connectionString).port);
    const url = `postgresql://postgres@127.0.0.1:${deadPort},127.0.0.1:${other.port},127.0.0.1:${proxy.port}/${testDb.name}?target_session_attrs=read-write`;
    const database = open(url);
    // The dead host refuses, the second is read-only: the pool lands on the third (the proxy).
    expect(await serverPort(database)).toBe(mainPort);
    const router = routerFor(url)!;
    expect(router.primary).toEqual({ host: '127.0.0.1', port: proxy.port });

    // Failover: the primary goes away and the other server becomes writable.
    await setOtherReadOnly(false);
    await proxy.stop();
    await until(async () => (await serverPort(database)) === other.port, 10_000);
    expect(router.switches).toBeGreaterThanOrEqual(1);

    // The old primary is back, and the current one turns read-only (a demotion): the router
    // drops its connections to it and the pool goes back to the writable host.
    await proxy.start();
    await setOtherReadOnly(true);
    await until(async () => (await serverPort(database)) === mainPort, 10_000);
    expect(proxy.open()).toBeGreaterThan(0);
    await setOtherReadOnly(false);
  }, 60_000);

  it('fails fast with SERVICE_UNAVAILABLE while no host qualifies', async () => {
    await setOtherReadOnly(true);
    const url = `postgresql://postgres@127.0.0.1:${deadPort},127.0.0.1:${other.port}/${testDb.name}`;
    const database = open(url);
    for (let i = 0; i < 3; i += 1) {
      const startedMs = Date.now();
      const error = await serverPort(database).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - startedMs).toBeLessThan(2500);
    }
    await setOtherReadOnly(false);
    await until(async () => (await serverPort(database)) === other.port, 10_000);
  }, 60_000);
});
