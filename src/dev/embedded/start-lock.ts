import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * How proper-lockfile's lock (a directory whose mtime the holder refreshes) is judged abandoned:
 * a holder killed mid-start stops refreshing it, and after `staleMs` the next starter takes it
 * over. Generous, because a loaded machine may refresh late, and a lock taken over from a live
 * holder would let two processes run initdb on one directory.
 */
const LOCK_STALE_MS = 20_000;
const LOCK_REFRESH_MS = 5_000;
const LOCK_POLL_MS = 100;

/**
 * Runs `work` holding `<dataDir>.startlock`, so that two processes starting on the same directory
 * (two jest runs, `npm start` next to `npm run db:migrate`) never both run initdb or both launch
 * postgres: one does it while the other waits, and then finds the server running.
 */
export async function withStartLock<T>(
  dataDir: string,
  timeoutMs: number,
  log: (m: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const lockfilePath = `${dataDir}.startlock`;
  await fs.mkdir(path.dirname(lockfilePath), { recursive: true });
  const options = {
    // The data directory may not exist yet: lock its path, not its realpath.
    realpath: false,
    lockfilePath,
    stale: LOCK_STALE_MS,
    update: LOCK_REFRESH_MS,
    // The default throws from a timer, which would crash the process; the start in progress
    // fails on its own if another process really took the directory.
    onCompromised: (error: Error) =>
      log(`The start lock ${lockfilePath} was lost: ${error.message}`),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    log(`Waiting for another process that is starting PostgreSQL on ${dataDir}`);
    const retries = Math.max(1, Math.ceil(timeoutMs / LOCK_POLL_MS));
    try {
      release = await lockfile.lock(dataDir, {
        ...options,
        retries: { retries, factor: 1, minTimeout: LOCK_POLL_MS, maxTimeout: LOCK_POLL_MS },
      });
    } catch (waitError) {
      if ((waitError as NodeJS.ErrnoException).code !== 'ELOCKED') throw waitError;
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${lockfilePath}, held by another process starting PostgreSQL`,
      );
    }
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
