// Proves, without running it, that .ci/run takes a free port for its smoke test (no fixed port another run may hold) and leaves no temporary file behind (the smoke log holds development tokens).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const script = fs.readFileSync(path.join(__dirname, '..', '..', '.ci', 'run'), 'utf8');
const code = script
  .split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n');

describe('.ci/run', () => {
  it('is valid bash', () => {
    execFileSync('bash', ['-n', path.join(__dirname, '..', '..', '.ci', 'run')]);
  });

  it('names no fixed port: the smoke port is the one the kernel picks', async () => {
    expect(code).not.toMatch(/\bport=\d+/);
    expect(code).not.toMatch(/\b4017\b/);
    const picker = /port=\$\(node -e '([^']+)'\)/.exec(code)?.[1];
    expect(picker).toBeDefined();
    const port = Number(execFileSync(process.execPath, ['-e', picker!], { encoding: 'utf8' }));
    expect(Number.isInteger(port) && port > 0).toBe(true);
    // Free: this process can listen on it.
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });

  it('writes its temporary files in one folder that the exit trap removes, with the credentials npm start wrote', () => {
    const tempFolder = /(\w+)=\$\(mktemp -d\)/.exec(code)?.[1];
    expect(tempFolder).toBe('ci_tmp');
    // Every other mktemp is inside that folder, or removed by name (the Node 24 download).
    for (const match of code.matchAll(/(\w+)=\$\(mktemp([^)]*)\)/g)) {
      const [, name, args] = match;
      if (name === tempFolder) continue;
      const inside = args!.includes(`$${tempFolder}/`);
      const removed = new RegExp(`rm -rf -?-? ?"\\$${name}"`).test(code);
      expect({ name, inside, removed }).toMatchObject(
        inside ? { inside: true } : { removed: true },
      );
    }
    expect(code).toMatch(/log="\$ci_tmp\/smoke\.log"/);
    const cleanup = /cleanup\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1] ?? '';
    expect(cleanup).toContain('rm -rf -- "$ci_tmp"');
    expect(cleanup).toContain('"${created_credentials[@]}"');
    expect(code).toContain('trap cleanup EXIT');
    expect(code).toMatch(/for file in \.data\/dev-tokens\.json \.data\/dev-secret/);
  });
});
