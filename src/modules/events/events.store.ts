import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { Event } from './events.types';

type Queryable = PrismaClient | TxClient;

/** A place in the feed: after the event (xact, id). */
export interface FeedPosition {
  xact: bigint;
  id: bigint;
}

const eventColumns = Prisma.sql`
  e.id::text AS "id", e.type::text AS "type", e.created_at AS "createdAt", e.xact::text AS "xact",
  e.transaction_id::text AS "transactionId", e.payload AS "payload"`;

// The horizon: every transaction with a lower id has committed or aborted, in this statement's
// snapshot, so no event can appear below it later (docs/events.md, "Ordering").
const horizon = Prisma.sql`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

/**
 * The webhook body's object for each event, built in SQL with the GraphQL types' field names,
 * asset as its code and amounts as decimal strings. Transactions are immutable, so reading one
 * at delivery time gives what it was at commit.
 */
const bodyObject = Prisma.sql`
  CASE e.type
    WHEN 'TRANSACTION' THEN (
      SELECT jsonb_build_object(
        'id', t.id::text, 'kind', t.kind::text, 'userId', t.user_id, 'asset', t.asset_code,
        'amount', t.amount::text, 'idempotencyKey', t.idempotency_key, 'reference', t.reference,
        'metadata', t.metadata, 'createdAt', t.created_at,
        'paidAmount', t.paid_amount::text, 'freeAmount', (t.amount - t.paid_amount)::text,
        'counterpartyUserId', t.counterparty_user_id, 'changesetId', t.changeset_id::text,
        'entries', COALESCE((
          SELECT jsonb_agg(jsonb_build_object(
            'id', le.id::text, 'sequence', COALESCE(le.sequence, 0)::text,
            'userId', COALESCE(le.user_id, 'system:' || lower(le.account_kind::text)), 'asset', le.asset_code,
            'account', le.account_kind::text, 'direction', le.direction::text, 'amount', le.amount::text,
            'balanceAfter', COALESCE(le.balance_after, 0)::text, 'kind', le.transaction_kind::text,
            'createdAt', le.created_at) ORDER BY le.id)
          FROM ledger_entries le WHERE le.transaction_id = t.id), '[]'::jsonb))
      FROM transactions t WHERE t.id = e.transaction_id)
    ELSE e.payload - 'captureTransactionId'
  END`;

export interface EventBodyRow {
  id: string;
  xact: string;
  type: string;
  createdAt: Date;
  object: Record<string, unknown> | null;
}

/** All SQL about the event outbox. */
export const eventStore = {
  /** Up to `limit` events after the position, below the horizon, in feed order. */
  async findPage(db: Queryable, after: FeedPosition | undefined, limit: number): Promise<Event[]> {
    const position = after
      ? Prisma.sql`AND (e.xact, e.id) > (${after.xact}::bigint, ${after.id}::bigint)`
      : Prisma.empty;
    return db.$queryRaw<Event[]>`/* findEventsPage */
      SELECT ${eventColumns} FROM events e
      WHERE e.xact < ${horizon} ${position}
      ORDER BY e.xact, e.id
      LIMIT ${limit}::int`;
  },

  /** Like findPage, with each event's webhook body object (see bodyObject). */
  async findBodies(db: Queryable, after: FeedPosition, limit: number): Promise<EventBodyRow[]> {
    return db.$queryRaw<EventBodyRow[]>`/* findEventBodies */
      SELECT e.id::text AS "id", e.xact::text AS "xact", e.type::text AS "type", e.created_at AS "createdAt", ${bodyObject} AS "object"
      FROM events e
      WHERE e.xact < ${horizon} AND (e.xact, e.id) > (${after.xact}::bigint, ${after.id}::bigint)
      ORDER BY e.xact, e.id
      LIMIT ${limit}::int`;
  },

  async findByIds(db: Queryable, ids: readonly bigint[]): Promise<Event[]> {
    return db.$queryRaw<Event[]>`/* findEventsByIds */
      SELECT ${eventColumns} FROM events e WHERE e.id = ANY(${ids as bigint[]}::bigint[])`;
  },

  /**
   * The feed position just before every event not yet served: a new webhook starts here, so it
   * receives every event that becomes visible after it was created.
   */
  async currentHorizon(db: Queryable): Promise<FeedPosition> {
    const rows = await db.$queryRaw<
      { xact: bigint }[]
    >`/* feedHorizon */ SELECT ${horizon} AS "xact"`;
    // (horizon - 1, max id): after every event below the horizon, before every event at or above it.
    return { xact: rows[0]!.xact - 1n, id: 9223372036854775807n };
  },

  /**
   * Feed lag in seconds: the age of the oldest event written but not yet servable (its
   * transaction, or an older one still running, holds the horizon back); 0 when there is none.
   */
  async lagSeconds(db: Queryable): Promise<number> {
    const rows = await db.$queryRaw<{ lag: number | null }[]>`/* feedLag */
      SELECT extract(epoch FROM clock_timestamp() - min(e.created_at))::float8 AS "lag"
      FROM events e WHERE e.xact >= ${horizon}`;
    return Math.max(0, rows[0]?.lag ?? 0);
  },

  /** Breaches of "one TRANSACTION event per committed transaction, and none without one". */
  async transactionEventBreaches(db: Queryable): Promise<string[]> {
    const rows = await db.$queryRaw<{ problem: string }[]>`/* eventInvariants */
      SELECT 'transaction ' || t.id || ' has ' || count(e.id) || ' TRANSACTION events' AS "problem"
      FROM transactions t LEFT JOIN events e ON e.transaction_id = t.id AND e.type = 'TRANSACTION'
      GROUP BY t.id HAVING count(e.id) <> 1
      UNION ALL
      SELECT 'event ' || e.id || ' names transaction ' || e.transaction_id || ', which does not exist'
      FROM events e WHERE e.type = 'TRANSACTION' AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.transaction_id)
      LIMIT 20`;
    return rows.map((row) => row.problem);
  },
};
