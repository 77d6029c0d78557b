/**
 * The embedded PostgreSQL for development and tests (never used when DATABASE_URL is set):
 * binaries.ts finds the binaries, placement.ts puts them and the data where the postgres user can
 * reach them when running as root, start-lock.ts and postmaster.ts keep two starters and stale
 * runs apart, ports.ts picks a port, server.ts starts and stops the server.
 */
export { hydrateSymlinks } from './binaries';
export { DEFAULT_RUNTIME_DIR, RUNTIME_DIR_SETTING } from './placement';
export { findFreePort } from './ports';
export {
  EMBEDDED_PG_USER,
  EmbeddedPostgresInUseError,
  embeddedConnectionString,
  makeTempDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
  type StartEmbeddedPostgresOptions,
} from './server';
