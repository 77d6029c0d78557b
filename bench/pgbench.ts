import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile } from './stats';

/**
 * The ceilings: PostgreSQL's own benchmark client runs the same transaction the gateway runs (or
 * the textbook one), with no Node, GraphQL or Prisma in between, against the same database.
 */

export interface PgbenchBinary {
  path: string;
  version: string;
}

export const pgbenchInstallHint = [
  "pgbench (PostgreSQL's benchmark client) was not found, so the ceilings cannot be measured.",
  'It ships with the PostgreSQL server package, not with the client alone:',
  '  Debian/Ubuntu:  apt-get install postgresql-15   (or the version you run; it lands in /usr/lib/postgresql/<ver>/bin/pgbench)',
  '  Fedora/RHEL:    dnf install postgresql-contrib',
  '  macOS:          brew install postgresql@17',
  'or point BENCH_PGBENCH at a pgbench binary. The gateway workloads still run; ratios to ceilings read n/a.',
].join('\n');

function run(
  file: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (error as unknown as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * BENCH_PGBENCH, else the newest /usr/lib/postgresql/<ver>/bin/pgbench, else pgbench on PATH.
 * BENCH_PGBENCH=none skips the ceilings (to iterate on the gateway side alone).
 */
export async function findPgbench(): Promise<PgbenchBinary | undefined> {
  if (process.env.BENCH_PGBENCH === 'none') return undefined;
  const candidates: string[] = [];
  if (process.env.BENCH_PGBENCH) candidates.push(process.env.BENCH_PGBENCH);
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions)
      candidates.push(path.join(debianRoot, version, 'bin', 'pgbench'));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir) candidates.push(path.join(dir, 'pgbench'));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const { code, stdout } = await run(candidate, ['--version']);
    if (code === 0) return { path: candidate, version: stdout.trim() };
  }
  return undefined;
}

export interface PgbenchRunOptions {
  binary: PgbenchBinary;
  databaseUrl: string;
  scriptPath: string;
  variables: Record<string, string | number>;
  clients: number;
  durationS: number;
  /** Record every transaction's latency (the measured run; the warm-up does not). */
  recordLatencies: boolean;
}

export interface PgbenchResult {
  txPerS: number;
  transactions: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** Client aborts and other errors pgbench reported, verbatim. */
  errors: string[];
  durationS: number;
}

/**
 * One pgbench run: -M prepared (the gateway uses named prepared statements too), one thread per
 * core at most, -T seconds, every transaction's latency in a per-transaction log.
 */
export async function runPgbench(options: PgbenchRunOptions): Promise<PgbenchResult> {
  const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wallet-bench-pgbench-'));
  const prefix = path.join(logDir, 'tx');
  const threads = Math.max(1, Math.min(options.clients, os.cpus().length));
  const args = [
    '-n',
    '-M',
    'prepared',
    '-c',
    String(options.clients),
    '-j',
    String(threads),
    '-T',
    String(options.durationS),
    '-f',
    options.scriptPath,
  ];
  for (const [name, value] of Object.entries(options.variables))
    args.push('-D', `${name}=${value}`);
  if (options.recordLatencies) args.push('-l', `--log-prefix=${prefix}`);
  args.push(options.databaseUrl);
  try {
    const { code, stdout, stderr } = await run(options.binary.path, args);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    const processed = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1];
    const errors = stderr
      .split('\n')
      .filter((line) => /error|abort|fatal/i.test(line))
      .map((line) => line.trim());
    if (code !== 0 && errors.length === 0)
      errors.push(
        `pgbench exited with code ${code}: ${stderr.trim().slice(0, 500) || stdout.trim().slice(-500)}`,
      );
    if (tps === undefined && errors.length === 0)
      errors.push(`pgbench printed no tps line:\n${stdout.slice(-800)}\n${stderr.slice(-800)}`);

    const latencies: number[] = [];
    if (options.recordLatencies) {
      for (const file of await fs.readdir(logDir)) {
        const text = await fs.readFile(path.join(logDir, file), 'utf8');
        for (const line of text.split('\n')) {
          // client_id transaction_no time_us script_no time_epoch time_us_fraction ...
          const fields = line.split(' ');
          const micros = Number(fields[2]);
          if (fields.length >= 3 && Number.isFinite(micros)) latencies.push(micros / 1000);
        }
      }
    }
    return {
      txPerS: tps === undefined ? 0 : Number(tps),
      transactions: processed === undefined ? 0 : Number(processed),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      failed: failed === undefined ? 0 : Number(failed),
      errors,
      durationS: options.durationS,
    };
  } finally {
    await fs.rm(logDir, { recursive: true, force: true });
  }
}
