// Proves that Ctrl-C on `npm start` (SIGINT to the whole terminal process group: the gateway and its embedded PostgreSQL) shuts down in order and quietly: no PostgreSQL "terminating connection" warning, no lost-connection log line, exit code 0.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/shared/db/database';
import { ensureBuilt } from '../support/child-gateway';

let sandbox: string | undefined;

beforeAll(() => {
  ensureBuilt();
  // A project of its own, so that the embedded database, the development secret and tokens go
  // to its .data and not to this checkout's (which a developer's `npm start` may be using).
  const root = projectRoot();
  sandbox = mkdtempSync(path.join(os.tmpdir(), 'wallet-ctrl-c-'));
  // As root, the embedded server runs as an unprivileged user, which must be able to enter it.
  chmodSync(sandbox, 0o755);
  cpSync(path.join(root, 'package.json'), path.join(sandbox, 'package.json'));
  cpSync(path.join(root, 'dist'), path.join(sandbox, 'dist'), { recursive: true });
  for (const shared of ['node_modules', 'prisma', 'public'])
    symlinkSync(path.join(root, shared), path.join(sandbox, shared));
});
afterAll(() => {
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

it('SIGINT to the process group of `node dist/src/main.js --demo` exits 0 with no terminated connections', async () => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  // detached: a process group of its own, as a terminal gives `npm start`; the signal below goes
  // to the whole group, as Ctrl-C does.
  const child = spawn(process.execPath, [path.join(sandbox!, 'dist', 'src', 'main.js'), '--demo'], {
    cwd: sandbox,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    const deadline = Date.now() + 150_000;
    while (!output.includes('gateway listening')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the gateway did not start:\n${output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Let the background jobs take their connections (webhook worker, sweeper, LISTEN).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(-child.pid!, 'SIGINT');
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no exit after SIGINT:\n${output.slice(-4000)}`)),
          30_000,
        ),
      ),
    ]);
    expect({ result, terminated: output.match(/.*terminating connection.*/g) ?? [] }).toEqual({
      result: { code: 0, signal: null },
      terminated: [],
    });
    expect(output).not.toMatch(/connection lost/);
    expect(output).toMatch(/"msg":"shutting down"/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}, 240_000);
