// Drives scripts/ha/formation.sh (a local pg_auto_failover monitor, primary and synchronous standby) for the failover test.
import { execFile } from 'node:child_process';
import { mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/shared/db/database';

const run = promisify(execFile);

export interface Formation {
  dir: string;
  url: string;
  /** Runs one of the script's commands and returns what it printed. */
  command(...args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

/** A formation in a fresh directory under the temp dir, on three ports from `portBase`. */
export async function startFormation(portBase: number): Promise<Formation> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wallet-ha-'));
  // The nodes run as the postgres user, which must reach the directory.
  chmodSync(dir, 0o755);
  const script = path.join(projectRoot(), 'scripts', 'ha', 'formation.sh');
  const env = { ...process.env, HA_DIR: dir, HA_PORT_BASE: String(portBase) };
  const command = async (...args: string[]) => {
    const { stdout } = await run('bash', [script, ...args], {
      env,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  };
  const formation: Formation = {
    dir,
    url: '',
    command,
    destroy: async () => {
      await command('destroy').catch(() => undefined);
    },
  };
  try {
    await command('start');
  } catch (error) {
    await formation.destroy();
    throw error;
  }
  formation.url = await command('uri');
  return formation;
}
