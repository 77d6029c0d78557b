// Proves that every package package-lock.json installs accepts every Node line package.json's engines promises (so `npm ci` prints no EBADENGINE warning on Node 20, 22 or 24).
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: unknown }>;
};

/** The lowest version each alternative of the engines range admits (20.19.0, 22.13.0, 24.0.0). */
function lowestOfEachLine(range: string): string[] {
  return new semver.Range(range).set.map(
    (comparators) => semver.minVersion(comparators.map((c) => c.value).join(' '))!.version,
  );
}

/** The packages whose engines.node refuses one of the given Node versions. */
function refusals(packages: typeof lock.packages, versions: string[]): string[] {
  const found: string[] = [];
  for (const [location, entry] of Object.entries(packages)) {
    const engines = entry.engines as { node?: unknown } | undefined;
    // npm only checks the object form; an old array form (["node >= 0.6"]) is ignored by npm too.
    if (!engines || Array.isArray(engines) || typeof engines.node !== 'string') continue;
    for (const version of versions) {
      if (!semver.satisfies(version, engines.node, { includePrerelease: true }))
        found.push(`${location}@${entry.version}: node ${engines.node} refuses ${version}`);
    }
  }
  return found;
}

describe('engines', () => {
  it('the engines range admits Node 20, 22 and 24 (the lines the README names)', () => {
    expect(lowestOfEachLine(manifest.engines.node)).toEqual(['20.19.0', '22.13.0', '24.0.0']);
  });

  it('this Node is one package.json accepts', () => {
    expect(semver.satisfies(process.version, manifest.engines.node)).toBe(true);
  });

  it('every locked package accepts the lowest version of each supported line, and this Node', () => {
    expect(
      refusals(lock.packages, [...lowestOfEachLine(manifest.engines.node), process.version]),
    ).toEqual([]);
  });

  it('would catch a package that needs a newer Node', () => {
    const packages = {
      'node_modules/sync-fetch': { version: '0.7.1', engines: { node: '>=22.12.0' } },
      'node_modules/old': { version: '1.0.0', engines: ['node >= 0.6'] },
    };
    expect(refusals(packages, ['20.19.0', '24.0.0'])).toEqual([
      'node_modules/sync-fetch@0.7.1: node >=22.12.0 refuses 20.19.0',
    ]);
  });
});
