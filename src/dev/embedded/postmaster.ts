import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * postmaster.pid: how to tell a data directory that a running server owns from one left behind
 * by a killed run.
 */

export interface PostmasterPid {
  pid: number;
  port: number | undefined;
}

export async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Line 1 is the postmaster's pid, line 4 its port (see PostgreSQL's miscadmin.h LOCK_FILE_LINE_*).
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return {
    pid: Number.isFinite(pid) ? pid : 0,
    port: Number.isFinite(port) && port > 0 ? port : undefined,
  };
}

/**
 * Whether `pid` is a live PostgreSQL process. Pids are reused (a container restart starts the
 * numbering again), so where /proc exists a live pid must also be running a postgres binary
 * before we refuse to treat the pid file as stale.
 */
export async function isLivePostgres(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else: count it as alive.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    // No /proc (macOS) or no access: trust the signal check.
    return true;
  }
}

/** A running server that owns the data directory, or undefined after removing a stale pid file. */
export async function checkPostmasterPid(
  dataDir: string,
  log: (m: string) => void,
): Promise<PostmasterPid | undefined> {
  const recorded = await readPostmasterPid(dataDir);
  if (!recorded) return undefined;
  if (await isLivePostgres(recorded.pid)) return recorded;
  log(
    `Removing stale postmaster.pid (pid ${recorded.pid} is not running) left by an interrupted run in ${dataDir}`,
  );
  await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return undefined;
}
