// Proves that DATABASE_URL, JWT_SECRET and METRICS_TOKEN can come from files (NAME_FILE, as Docker secrets are): the content without its trailing newline, and never both NAME and NAME_FILE.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSecretSettings, loadConfig, withSecretFiles } from '../../src/shared/config';
import { resolveDatabase } from '../../src/shared/db/database';
import { jwtVerify } from 'jose';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-files-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('NAME_FILE settings', () => {
  it('reads each secret from its file, without the trailing newline', () => {
    const config = loadConfig({
      JWT_SECRET_FILE: secretFile('jwt', 'a-jwt-secret-of-at-least-32-characters!!\n'),
      METRICS_TOKEN_FILE: secretFile('metrics', 'scrape-token-0123456789\r\n'),
      DATABASE_URL_FILE: secretFile('db', 'postgresql://wallet:s3cret@postgres:5432/wallet\n'),
    });
    expect(config.JWT_SECRET).toBe('a-jwt-secret-of-at-least-32-characters!!');
    expect(config.METRICS_TOKEN).toBe('scrape-token-0123456789');
    expect(config.DATABASE_URL).toBe('postgresql://wallet:s3cret@postgres:5432/wallet');
  });

  it('keeps the value exactly otherwise (inner spaces, no newline at all)', () => {
    const env = withSecretFiles({ JWT_SECRET_FILE: secretFile('plain', ' two  words ') });
    expect(env.JWT_SECRET).toBe(' two  words ');
  });

  it.each(fileSecretSettings)('refuses %s and %s_FILE set together', (name) => {
    const file = secretFile(`both-${name}`, 'postgresql://a:b@c:5432/d-and-more-than-32-chars\n');
    expect(() => loadConfig({ [name]: 'x'.repeat(40), [`${name}_FILE`]: file })).toThrow(
      new RegExp(`${name} and ${name}_FILE: set one of them, not both`),
    );
  });

  it('names the variable of an unreadable file', () => {
    expect(() => loadConfig({ JWT_SECRET_FILE: path.join(dir, 'missing') })).toThrow(
      /JWT_SECRET_FILE: cannot read .*missing \(ENOENT\)/,
    );
  });

  it('validates a value from a file like one from the environment', () => {
    expect(() => loadConfig({ METRICS_TOKEN_FILE: secretFile('short', 'short\n') })).toThrow(
      /METRICS_TOKEN must be at least 16 characters/,
    );
  });

  it('the database resolution (npm start, migrate, seed) reads DATABASE_URL_FILE too', async () => {
    const url = 'postgresql://wallet:s3cret@db.invalid:5432/wallet';
    const resolved = await resolveDatabase('app', {
      env: { DATABASE_URL_FILE: secretFile('db-url', `${url}\n`) },
    });
    expect(resolved).toMatchObject({ connectionString: url, embedded: false });
  });

  it('npm run token mints with JWT_SECRET_FILE (docker compose run gateway-a node dist/src/cli/token.js)', async () => {
    const secret = 'a-jwt-secret-of-at-least-32-characters!!';
    const token = execFileSync(
      process.execPath,
      [
        path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'token.js'),
        '--role',
        'server',
        '--sub',
        'game-1',
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          JWT_SECRET_FILE: secretFile('cli-jwt', `${secret}\n`),
        },
      },
    ).trim();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret));
    expect(payload).toMatchObject({ sub: 'game-1', role: 'server' });
  });
});
