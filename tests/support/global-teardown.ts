// Jest globalTeardown: stops the embedded PostgreSQL started by globalSetup, so that jest exits
// without an open handle (the server's stderr pipe keeps Node's event loop alive).
import { GLOBAL_HANDLE_KEY } from './global-setup';
import type { ResolvedDatabase } from '../../src/shared/db/database';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [GLOBAL_HANDLE_KEY]?: ResolvedDatabase };
  const database = holder[GLOBAL_HANDLE_KEY];
  delete holder[GLOBAL_HANDLE_KEY];
  // The template database is left in place: the next run drops and rebuilds it anyway.
  await database?.stop();
}
