// Proves that a clean stop of the embedded PostgreSQL is quiet (no "terminating connection" FATAL per open session forwarded), that the server runs in a process group of its own (a terminal's Ctrl-C reaches node, not it), and that relocated data of a deleted checkout is removed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { makeTempDataDir, startEmbeddedPostgres } from '../../src/dev/embedded';
import { pruneOrphanedData } from '../../src/dev/embedded/placement';
import { forwardServerLine } from '../../src/dev/embedded/server-log';
import { readPostmasterPid } from '../../src/dev/embedded/postmaster';

describe('the embedded server at a requested stop', () => {
  it('forwards none of the shutdown lines, and keeps serious ones', () => {
    const fatal =
      '2026-12-08 00:00:00 UTC [123] FATAL:  terminating connection due to administrator command';
    expect(forwardServerLine(fatal, true)).toBe(false);
    expect(forwardServerLine('LOG:  received fast shutdown request', true)).toBe(false);
    expect(forwardServerLine('LOG:  database system is shut down', true)).toBe(false);
    expect(forwardServerLine('WARNING:  could not write to file "pg_wal/x"', true)).toBe(true);
    expect(forwardServerLine('PANIC:  could not write to file', true)).toBe(true);
    // While it runs, every line goes to the caller (which logs it at debug).
    expect(forwardServerLine(fatal, false)).toBe(true);
  });

  it('stops quietly with open sessions, and runs in a process group of its own', async () => {
    const { parentDir, dataDir } = await makeTempDataDir('embedded-stop-');
    const lines: string[] = [];
    const server = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
    const clients: Client[] = [];
    try {
      const { pid } = (await readPostmasterPid(server.dataDir))!;
      const groupOf = (p: number) =>
        Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(p)], { encoding: 'utf8' }).trim());
      expect(groupOf(pid)).toBe(pid); // its own group leader
      expect(groupOf(pid)).not.toBe(groupOf(process.pid));
      for (let i = 0; i < 4; i += 1) {
        const client = new Client({ connectionString: server.connectionString });
        client.on('error', () => undefined); // the stop ends the session, as expected
        await client.connect();
        await client.query('SELECT 1');
        clients.push(client);
      }
      lines.length = 0;
      await server.stop();
      expect(
        lines.filter((line) => /terminating connection|shutdown request|shut down$/.test(line)),
      ).toEqual([]);
      expect(lines.at(-1)).toMatch(/stopped$/);
    } finally {
      for (const client of clients) await client.end().catch(() => undefined);
      await server.stop();
      fs.rmSync(parentDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('relocated data (as root, a checkout the postgres user cannot enter)', () => {
  it('is removed once its checkout is gone, and kept while it exists or its server runs', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'relocated-'));
    try {
      const dataRoot = path.join(root, 'data');
      const checkout = path.join(root, 'clone');
      fs.mkdirSync(path.join(checkout, '.data'), { recursive: true });
      const entry = (name: string, owner: string, running = false) => {
        fs.mkdirSync(path.join(dataRoot, name), { recursive: true });
        fs.writeFileSync(path.join(dataRoot, `${name}.checkout`), `${owner}\n`);
        if (running) fs.writeFileSync(path.join(dataRoot, name, 'postmaster.pid'), '1\n');
      };
      entry('postgres-kept', path.join(checkout, '.data', 'postgres'));
      entry('postgres-gone', path.join(root, 'deleted-clone', '.data', 'postgres'));
      entry('postgres-running', path.join(root, 'other-deleted', '.data', 'postgres'), true);
      fs.mkdirSync(path.join(dataRoot, 'postgres-unknown'));
      const removed = await pruneOrphanedData(dataRoot, () => undefined);
      expect(removed).toEqual([path.join(dataRoot, 'postgres-gone')]);
      expect(fs.readdirSync(dataRoot).sort()).toEqual([
        'postgres-kept',
        'postgres-kept.checkout',
        'postgres-running',
        'postgres-running.checkout',
        'postgres-unknown',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
