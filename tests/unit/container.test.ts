// Proves, without a Docker engine, that the Dockerfile and docker-compose.yml fit the code: stages, non-root user, health check route, start command, ports, and environment names the configuration schema knows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, loadConfig } from '../../src/shared/config';
import { useTestGateway } from '../support/use-test-gateway';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const configNames = new Set(Object.keys(configSchema.shape));

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerfileInstructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage, by stage name. */
function stages(
  instructions: Instruction[],
): { name: string; from: string; body: Instruction[] }[] {
  const result: { name: string; from: string; body: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      result.push({ from: match[1]!, name: match[2] ?? String(result.length), body: [] });
    } else if (result.length > 0) {
      result[result.length - 1]!.body.push(instruction);
    }
  }
  return result;
}

/** `ENV A=1 B=2` (or the legacy `ENV A 1`) as pairs. */
function envPairs(args: string): [string, string][] {
  if (!args.includes('=')) {
    const [name, ...value] = args.split(/\s+/);
    return [[name!, value.join(' ')]];
  }
  return [...args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [
    m[1]!,
    m[2]!.replace(/^"|"$/g, ''),
  ]);
}

const instructions = dockerfileInstructions(read('Dockerfile'));
const allStages = stages(instructions);
const runtime = allStages[allStages.length - 1]!;
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
      volumes?: string[];
    }
  >;
  volumes?: Record<string, unknown>;
};
const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway-'));

describe('Dockerfile', () => {
  it('is multi-stage: a build stage, and a runtime stage from a slim Node 24 LTS image, both installing with npm ci', () => {
    expect(allStages.length).toBeGreaterThanOrEqual(2);
    const nodeImage = /ARG NODE_IMAGE=(\S+)/.exec(read('Dockerfile'))?.[1];
    // A slim Node 24 image, pinned by digest.
    expect(nodeImage).toMatch(/^node:24[\w.-]*-slim@sha256:[0-9a-f]{64}$/);
    expect(allStages.map((stage) => stage.from)).toEqual(allStages.map(() => '${NODE_IMAGE}'));
    const build = allStages[0]!;
    expect(
      build.body.some(
        (i) => i.keyword === 'RUN' && /npm ci\b/.test(i.args) && !/--omit=dev/.test(i.args),
      ),
    ).toBe(true);
    expect(build.body.some((i) => i.keyword === 'RUN' && /npm run build\b/.test(i.args))).toBe(
      true,
    );
    expect(packageJson.scripts.build).toBeDefined();
    // The runtime stage installs production dependencies only and copies the build output.
    expect(
      runtime.body.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)),
    ).toBe(true);
    expect(
      runtime.body.some(
        (i) => i.keyword === 'COPY' && i.args.startsWith(`--from=${build.name} /app/dist`),
      ),
    ).toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = runtime.body.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    const ignored = new Set(
      read('.dockerignore')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#') && !line.startsWith('!')),
    );
    for (const secret of ['node_modules', '.env', '.data', 'dist'])
      expect(ignored).toContain(secret);
    for (const stage of allStages) {
      for (const copy of stage.body.filter(
        (i) => i.keyword === 'COPY' && !i.args.startsWith('--from'),
      )) {
        for (const source of copy.args.split(/\s+/).slice(0, -1))
          expect([source, ignored.has(source)]).toEqual([source, false]);
      }
    }
    for (const stage of allStages) {
      for (const copy of stage.body.filter(
        (i) => i.keyword === 'COPY' && !i.args.startsWith('--from'),
      )) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const source of sources)
          expect([source, fs.existsSync(path.join(root, source))]).toEqual([source, true]);
      }
    }
  });

  it('starts with prisma migrate deploy and then the production entry, with an init for signals', () => {
    const cmd = runtime.body.filter((i) => i.keyword === 'CMD').pop()!;
    const argv = JSON.parse(cmd.args) as string[];
    const script = argv.join(' ');
    expect(script).toMatch(/prisma migrate deploy && exec node dist\/src\/main\.js/);
    // The production entry of package.json is the same command, and it is the build of src/main.ts.
    expect(packageJson.scripts['start:prod']).toBe('node dist/src/main.js');
    expect(fs.existsSync(path.join(root, 'src', 'main.ts'))).toBe(true);
    const tsconfig = JSON.parse(read('tsconfig.json')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(
      path
        .join(
          tsconfig.compilerOptions.outDir,
          path.relative(tsconfig.compilerOptions.rootDir, 'src/main.ts'),
        )
        .replace(/\.ts$/, '.js'),
    ).toBe('dist/src/main.js');
    // The Prisma CLI must survive `npm ci --omit=dev`.
    expect(packageJson.dependencies.prisma).toMatch(/^\d+\.\d+\.\d+$/);
    expect(packageJson.devDependencies.prisma).toBeUndefined();
    const entrypoint = JSON.parse(
      runtime.body.find((i) => i.keyword === 'ENTRYPOINT')!.args,
    ) as string[];
    expect(entrypoint[0]).toBe('/usr/bin/tini');
    expect(
      runtime.body.some((i) => i.keyword === 'RUN' && /apt-get install[^&]*\btini\b/.test(i.args)),
    ).toBe(true);
  });

  it("sets only environment variables the configuration knows (or npm's own)", () => {
    const names = runtime.body
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => envPairs(i.args).map(([name]) => name));
    expect(names).toContain('NODE_ENV');
    // Besides the gateway's own settings, only the runtime's: npm's, and glibc's malloc tuning.
    const runtimeNames = new Set(['MALLOC_ARENA_MAX']);
    expect(
      names.filter(
        (name) =>
          !configNames.has(name) && !name.startsWith('NPM_CONFIG_') && !runtimeNames.has(name),
      ),
    ).toEqual([]);
    const env = Object.fromEntries(
      runtime.body.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)),
    );
    expect(env.NODE_ENV).toBe('production');
    const exposed = runtime.body.find((i) => i.keyword === 'EXPOSE')!.args;
    expect(exposed).toBe(env.PORT);
  });
});

describe('docker-compose.yml', () => {
  it('runs PostgreSQL 16 with a volume and a pg_isready health check', () => {
    const postgres = compose.services.postgres!;
    expect(postgres.image).toMatch(/^postgres:16/);
    const volume = postgres.volumes!.find((v) => v.endsWith(':/var/lib/postgresql/data'))!;
    expect(compose.volumes).toHaveProperty(volume.split(':')[0]!);
    expect(postgres.healthcheck!.test.join(' ')).toContain('pg_isready');
  });

  it('runs a one-shot prisma migrate deploy before the gateways', () => {
    const migrate = compose.services.migrate!;
    expect(migrate.command!.join(' ')).toContain('prisma migrate deploy');
    expect(migrate.depends_on!.postgres!.condition).toBe('service_healthy');
    for (const [, gateway] of gateways)
      expect(gateway.depends_on!.migrate!.condition).toBe('service_completed_successfully');
  });

  it('runs two gateway replicas on distinct host ports, each mapped to its PORT, after PostgreSQL is healthy', () => {
    expect(gateways.map(([name]) => name).sort()).toEqual(['gateway-a', 'gateway-b']);
    const hostPorts = new Set<string>();
    for (const [, gateway] of gateways) {
      expect(gateway.depends_on!.postgres!.condition).toBe('service_healthy');
      expect(gateway.ports).toHaveLength(1);
      const [hostPort, containerPort] = gateway.ports![0]!.split(':').slice(-2);
      hostPorts.add(hostPort!);
      expect(containerPort).toBe(gateway.environment!.PORT);
      expect(gateway.command).toEqual(packageJson.scripts['start:prod']!.split(' '));
    }
    expect(hostPorts.size).toBe(2);
  });

  it('gives the gateways a production environment whose names the configuration schema knows', () => {
    for (const [name, gateway] of [...gateways, ['migrate', compose.services.migrate!] as const]) {
      const env = gateway.environment!;
      expect([name, Object.keys(env).filter((key) => !configNames.has(key))]).toEqual([name, []]);
      // The database URL, with its password, comes from a secret file (see the secrets tests below).
      expect(env.DATABASE_URL).toBeUndefined();
      expect(env.DATABASE_URL_FILE).toBe('/run/secrets/database_url');
    }
    for (const [, gateway] of gateways) {
      expect(gateway.environment).toMatchObject({ NODE_ENV: 'production' });
      expect(gateway.environment!.JWT_SECRET).toBeUndefined();
      expect(gateway.environment!.JWT_SECRET_FILE).toBe('/run/secrets/jwt_secret');
    }
  });
});

describe('docker-compose.yml: demo data, secrets as files', () => {
  const raw = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; entrypoint?: string[]; environment?: Record<string, string> }
    >;
  };
  const secretsCommand = raw.services.secrets!.command![0]!;
  const writtenSecrets = [...secretsCommand.matchAll(/write\('(\w+)'/g)].map((m) => m[1]!);

  it('seeds the same demo data as npm start on one replica, unless SEED_DEMO=false', () => {
    expect(compose.services['gateway-a']!.environment!.SEED_DEMO).toBe('${SEED_DEMO:-true}');
    expect(compose.services['gateway-b']!.environment!.SEED_DEMO).toBeUndefined();
    expect(loadConfig({ SEED_DEMO: 'true' }).SEED_DEMO).toBe(true);
    expect(loadConfig({ SEED_DEMO: 'false' }).SEED_DEMO).toBe(false);
  });

  it('holds no secret value: no password, token or URL with credentials, only *_FILE paths', () => {
    const text = read('docker-compose.yml')
      .split('\n')
      .filter((line) => !/^\s*#/.test(line))
      .join('\n');
    expect(text).not.toMatch(/postgresql:\/\/[^:'"\s]+:[^@'"\s$]+@/);
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment ?? {};
      for (const secret of ['POSTGRES_PASSWORD', 'DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN'])
        expect([name, secret, env[secret]]).toEqual([name, secret, undefined]);
      for (const [key, value] of Object.entries(env).filter(([key]) => key.endsWith('_FILE'))) {
        // Each file is one the secrets service writes, in a volume this service mounts.
        expect([key, writtenSecrets]).toEqual([
          key,
          expect.arrayContaining([path.basename(value)]),
        ]);
        expect(value.startsWith('/run/secrets/')).toBe(true);
        expect(service.volumes).toEqual(expect.arrayContaining(['secrets:/run/secrets:ro']));
      }
    }
    expect(compose.services.postgres!.environment!.POSTGRES_PASSWORD_FILE).toBe(
      '/run/secrets/postgres_password',
    );
    expect(compose.services.postgres!.depends_on!.secrets!.condition).toBe(
      'service_completed_successfully',
    );
    expect(compose.services.migrate!.command!.join(' ')).toContain('$$(cat "$$DATABASE_URL_FILE")');
  });

  it('the secrets service writes files a production gateway starts with, once', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-secrets-'));
    try {
      const script = secretsCommand.replaceAll('/run/secrets/', `${dir}/`);
      expect(raw.services.secrets!.entrypoint).toEqual(['node', '-e']);
      execFileSync(process.execPath, ['-e', script]);
      const first = fs.readFileSync(path.join(dir, 'jwt_secret'), 'utf8');
      execFileSync(process.execPath, ['-e', script]);
      expect(fs.readFileSync(path.join(dir, 'jwt_secret'), 'utf8')).toBe(first);
      const password = fs.readFileSync(path.join(dir, 'postgres_password'), 'utf8').trim();
      const env = compose.services['gateway-a']!.environment!;
      const config = loadConfig({
        NODE_ENV: 'production',
        ...Object.fromEntries(
          Object.entries(env)
            .filter(([key]) => key.endsWith('_FILE'))
            .map(([key, value]) => [key, value.replace('/run/secrets/', `${dir}/`)]),
        ),
      });
      expect(new URL(config.DATABASE_URL!).password).toBe(password);
      expect(new URL(config.DATABASE_URL!).hostname).toBe('postgres');
      expect(config.JWT_SECRET!.length).toBeGreaterThanOrEqual(32);
      expect(config.METRICS_TOKEN!.length).toBeGreaterThanOrEqual(16);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/operations.md says what the compose file does with METRICS_TOKEN and the demo data', () => {
    const operations = read('docs/operations.md');
    expect(operations).toContain('METRICS_TOKEN_FILE');
    expect(operations).toContain('/run/secrets/metrics_token');
    expect(operations).not.toMatch(/METRICS_TOKEN` is\s+passed through from the shell/);
    expect(operations).toContain('SEED_DEMO=false docker compose up');
  });
});

describe('health check paths', () => {
  const t = useTestGateway('container', { invariantsAfterEach: false });

  it('the HEALTHCHECK path answers 200 on a running gateway', async () => {
    const healthcheck = runtime.body.find((i) => i.keyword === 'HEALTHCHECK')!;
    const probePath = /127\.0\.0\.1:'\+\(process\.env\.PORT\|\|4000\)\+'(\/[\w/-]+)'/.exec(
      healthcheck.args,
    )?.[1];
    expect(probePath).toBe('/readyz');
    const response = await fetch(new URL(probePath!, t.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ready: true });
  });
});
