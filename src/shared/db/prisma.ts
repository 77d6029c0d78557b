import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../../generated/prisma/client';
import { logger } from '../logger';
import { pgConnectionConfig } from './multi-host';

export type TxClient = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface DatabaseOptions {
  connectionString: string;
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Emit Prisma query events (tests count statements with them). */
  emitQueryEvents?: boolean;
}

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

// Note: no global pg type parsers here. The Prisma adapter expects pg's default text values
// (BIGINT as a string) and converts them itself; a global BigInt parser breaks its serializer.

/**
 * One pg pool per process, shared by Prisma (through the driver adapter) and the few places that
 * need a plain connection. The pool is bounded, connecting times out (so an unreachable database
 * answers SERVICE_UNAVAILABLE quickly instead of hanging) and every statement has a timeout.
 */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    // A multi-host URL gets a socket that follows the writable host (see multi-host.ts).
    ...pgConnectionConfig(options.connectionString),
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    application_name: 'wallet-gateway',
    // The isolation level of every money transaction, fixed per connection: READ COMMITTED with
    // explicit row locks. Setting it here rather than per transaction saves Prisma's extra
    // `SET TRANSACTION ISOLATION LEVEL` round trip on every BEGIN.
    options: '-c default_transaction_isolation=read\\ committed',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process during a database outage.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle database connection lost'));
  // The pool listens only while a client is idle: a checked-out client (one held by an interactive
  // transaction between two statements) that loses its connection emits 'error' with no listener,
  // which crashed the process when the database shut down (found by the database-outage soak).
  // With this listener the loss is logged and the next statement on that client fails, which the
  // request reports as SERVICE_UNAVAILABLE.
  pool.on('connect', (client) => {
    client.on('error', (err) =>
      logger.warn({ err: err.message }, 'database connection lost while in use'),
    );
  });
  const adapter = new PrismaPg(pool, {
    // Named statements let PostgreSQL keep the plan of each money statement per connection.
    statementNameGenerator: (query) => statementName(query.sql),
  });
  const prisma = new PrismaClient(
    options.emitQueryEvents ? { adapter, log: [{ emit: 'event', level: 'query' }] } : { adapter },
  );
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

const statementNames = new Map<string, string>();
const statementNamesMax = 500;

/** A stable short name per distinct SQL text, bounded so that dynamic SQL cannot grow it forever. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    if (statementNames.size >= statementNamesMax) return '';
    name = `s${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}
