#!/usr/bin/env node
// `npm run codegen:check`: regenerates the typed client's documents into a temporary directory
// and compares them with the checked-in src/client/generated. Exits 1 (naming the stale files)
// when they differ, so CI catches an operation or schema change committed without `npm run codegen`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const committed = path.join(root, 'src', 'client', 'generated');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'wallet-codegen-'));
try {
  const cli = path.join(root, 'node_modules', '.bin', 'graphql-codegen');
  const result = spawnSync(cli, ['--config', 'codegen.yml', '--silent'], {
    cwd: root,
    env: { ...process.env, CODEGEN_OUT: temp },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    console.error('codegen:check: graphql-codegen failed');
    process.exit(1);
  }
  // Files at any depth (the trusted-documents output is a directory of its own).
  const filesOf = (dir) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      : [];
  const names = new Set([...filesOf(temp), ...filesOf(committed)]);
  const stale = [...names].filter((name) => {
    const fresh = path.join(temp, name);
    const current = path.join(committed, name);
    return (
      !fs.existsSync(fresh) ||
      !fs.existsSync(current) ||
      !fs.readFileSync(fresh).equals(fs.readFileSync(current))
    );
  });
  if (stale.length > 0) {
    console.error(
      `codegen:check: src/client/generated is stale (${stale.join(', ')}); run npm run codegen and commit the result`,
    );
    process.exit(1);
  }
  console.log('codegen:check: src/client/generated is current');
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}
