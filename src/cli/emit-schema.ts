import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { printGatewaySchema } from '../app/schema';

/** Writes the emitted SDL to schema.graphql (checked in; CI verifies it is current). */
const target = path.resolve(__dirname, '..', '..', '..', 'schema.graphql');
const check = process.argv.includes('--check');
const sdl = printGatewaySchema();
if (check) {
  const current = readFileSync(target, 'utf8');
  if (current !== sdl) {
    console.error('schema.graphql is out of date: run `npm run schema:emit` and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql is current');
} else {
  writeFileSync(target, sdl);
  console.log(`wrote ${target}`);
}
