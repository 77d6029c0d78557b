// Proves configuration stays documented and strict: .env.example lists every setting, .env loads only outside production, and a bad value stops the real process naming the variable.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, loadConfig } from '../../src/shared/config';
import { loadEnvFile } from '../../src/shared/env-file';

const root = path.join(__dirname, '..', '..');

/** The NAME of every `NAME=` or `# NAME=` line of .env.example. */
function documentedNames(): string[] {
  const text = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
}

describe('.env.example', () => {
  it('documents every variable of the configuration schema', () => {
    const documented = new Set(documentedNames());
    const missing = Object.keys(configSchema.shape).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('documents nothing the configuration schema does not read', () => {
    const known = new Set(Object.keys(configSchema.shape));
    expect(documentedNames().filter((name) => !known.has(name))).toEqual([]);
  });

  it('holds only values the schema accepts (its uncommented lines form a valid configuration)', () => {
    const text = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
    const set = Object.fromEntries(
      [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(() => loadConfig(set)).not.toThrow();
    // Each commented example, set alone, is accepted too.
    for (const match of text.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
      const [, name, value] = match;
      if (name === 'JWT_JWKS_URL' || name === 'JWT_JWKS_FILE') continue; // one of the two at a time
      if (name.endsWith('_FILE')) continue; // a secret file of the deployment, not of this machine
      expect(() => loadConfig({ [name!]: value })).not.toThrow();
    }
  });
});

describe('loadConfig', () => {
  it('names the variable of a bad value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ LIVE_PAGE: 'yes' })).toThrow(/LIVE_PAGE/);
  });

  it('reads the observability settings', () => {
    const config = loadConfig({
      METRICS_TOKEN: 'scrape-token-0123456789',
      LIVE_PAGE: 'false',
      LOG_PRETTY: '1',
      MIGRATE_ON_START: 'true',
    });
    expect(config).toMatchObject({
      METRICS_TOKEN: 'scrape-token-0123456789',
      LIVE_PAGE: false,
      LOG_PRETTY: true,
      MIGRATE_ON_START: true,
    });
    expect(loadConfig({}).LIVE_PAGE).toBeUndefined();
  });
});

describe('.env file loading', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wallet-env-'));
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=4100\nLOG_LEVEL=debug\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads .env in development, and the real environment wins over the file', () => {
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
    expect(loadEnvFile(env, dir).loaded).toBe(true);
    expect(env).toMatchObject({ PORT: '4100', LOG_LEVEL: 'warn' });
  });

  it('ignores .env when NODE_ENV=production', () => {
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production' };
    expect(loadEnvFile(env, dir).loaded).toBe(false);
    expect(env.PORT).toBeUndefined();
  });

  it('is not an error when there is no .env', () => {
    fs.rmSync(path.join(dir, '.env'));
    const env: NodeJS.ProcessEnv = {};
    expect(loadEnvFile(env, dir).loaded).toBe(false);
    expect(env).toEqual({});
  });
});

describe('the built gateway process', () => {
  beforeAll(() => {
    // npm test builds first; a lone jest run builds here when dist/ is older than the sources.
    const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-built.js')], {
      cwd: root,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  }, 180_000);

  function runMain(env: Record<string, string>, cwd = os.tmpdir()) {
    return spawnSync(process.execPath, [path.join(root, 'dist', 'src', 'main.js')], {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'fatal', ...env },
    });
  }

  it('stops with exit code 1 and a message naming the variable when PORT=abc', () => {
    const result = runMain({ PORT: 'abc' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Invalid configuration:\n\s+PORT: /);
  });

  it('reads the bad value from a .env file just the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wallet-env-main-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'DB_POOL_MAX=0\n');
      const result = runMain({ NODE_ENV: 'development', LOG_PRETTY: 'false' }, dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/DB_POOL_MAX: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
