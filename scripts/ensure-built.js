#!/usr/bin/env node
// Builds the project (Prisma client generation and tsc) when dist/ is missing or older than the
// sources, so `npm start` works straight after `npm ci` on a fresh clone.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const marker = path.join(root, 'dist', 'src', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const builtAt = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
const sourcesAt = Math.max(
  newestMtime(path.join(root, 'src')),
  fs.statSync(path.join(root, 'prisma', 'schema.prisma')).mtimeMs,
);
if (builtAt < sourcesAt || !fs.existsSync(path.join(root, 'generated', 'prisma'))) {
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
