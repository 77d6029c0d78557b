// Proves that the embedded PostgreSQL starts on a fresh data directory, answers on 127.0.0.1, stops cleanly, and keeps its data across a restart, a stale pid file included.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { hydrateSymlinks, makeTempDataDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/shared/db/embedded';

const tempDirs: string[] = [];
const handles: EmbeddedPostgresHandle[] = [];

async function query<T extends Record<string, unknown>>(connectionString: string, sql: string): Promise<T[]> {
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

    const [info] = await query<{ version: string; listen: string; sockets: string; fsync: string; maxConnections: string }>(
      first.connectionString,
      `SELECT version() AS version, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets, current_setting('fsync') AS fsync,
              current_setting('max_connections') AS "maxConnections"`,
    );
    expect(info!.version).toMatch(/^PostgreSQL \d+/);
    expect(info).toMatchObject({ listen: '127.0.0.1', sockets: '', fsync: 'on', maxConnections: '200' });

    await query(first.connectionString, `CREATE TABLE kept (note TEXT); INSERT INTO kept VALUES ('survives a restart')`);
    await first.stop();
    await first.stop(); // A second stop is a no-op.
    await expect(query(first.connectionString, 'SELECT 1')).rejects.toThrow();
    await expect(fs.access(path.join(dataDir, 'postmaster.pid'))).rejects.toThrow();

    // The same directory again: no initdb this time, and the table is still there.
    logs.length = 0;
    const second = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    handles.push(second);
    expect(logs.some((m) => m.startsWith('Initialising'))).toBe(false);
    expect(await query(second.connectionString, 'SELECT note FROM kept')).toEqual([{ note: 'survives a restart' }]);
    await second.stop();

    // A run killed with SIGKILL leaves postmaster.pid behind; it is removed when its pid is dead.
    const port = second.port;
    await fs.writeFile(path.join(dataDir, 'postmaster.pid'), `${await deadPid()}\n${dataDir}\n0\n${port}\n\n127.0.0.1\n0 0\nready\n`);
    logs.length = 0;
    const third = await startEmbeddedPostgres({ dataDir, port, log: (m) => logs.push(m) });
    handles.push(third);
    expect(third.port).toBe(port);
    expect(logs.some((m) => m.includes('stale postmaster.pid'))).toBe(true);
    expect(await query(third.connectionString, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
    await third.stop();
  });

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
    expect(await fs.readFile(path.join(pkg, 'native', 'lib', 'libpq.so.5'), 'utf8')).toBe('library');
    expect(await hydrateSymlinks(pkg)).toEqual([]);
  });
});
