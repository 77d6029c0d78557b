#!/usr/bin/env node
// Runs `prisma generate` offline. Prisma 7's CLI wants a schema-engine binary it would download;
// generate never uses it, so when none is configured we point the variable at an existing file.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const cli = path.join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env,
  cwd: path.join(__dirname, '..'),
});
process.exit(result.status ?? 1);
