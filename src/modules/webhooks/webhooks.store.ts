import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { Event } from '../events/events.types';
import type { FeedPosition } from '../events/events.store';
import type { Webhook } from './webhooks.types';

type Queryable = PrismaClient | TxClient;

/** A webhook a worker has claimed: where it is in the feed and how its head event is faring. */
export interface ClaimedWebhook {
  id: bigint;
  url: string;
  secret: string;
  cursorXact: bigint;
  cursorEventId: bigint;
  attempts: number;
}

export const webhookColumns = `w.id::text AS "id", w.url AS "url", w.created_at AS "createdAt", NULL::text AS "secret",
  w.last_error AS "lastError", w.failing_since AS "retryingSince"`;

const horizon = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

/** All SQL about webhooks and their deliveries' bookkeeping. */
export const webhookStore = {
  /** Inserts the webhook at the feed's current horizon, unless there are already `max` of them. */
  async insert(
    db: Queryable,
    webhook: { url: string; secret: string; start: FeedPosition; max: number },
  ): Promise<Webhook | undefined> {
    const rows = await db.$queryRawUnsafe<Webhook[]>(
      `/* insertWebhook */
      INSERT INTO webhooks (url, secret, cursor_xact, cursor_event_id)
      SELECT $1, $2, $3::bigint, $4::bigint
      WHERE (SELECT count(*) FROM webhooks) < $5::int
      RETURNING id::text AS "id", url, created_at AS "createdAt", secret, last_error AS "lastError", failing_since AS "retryingSince"`,
      webhook.url,
      webhook.secret,
      webhook.start.xact,
      webhook.start.id,
      webhook.max,
    );
    return rows[0];
  },

  async delete(db: Queryable, id: bigint): Promise<boolean> {
    const deleted =
      await db.$executeRaw`/* deleteWebhook */ DELETE FROM webhooks WHERE id = ${id}::bigint`;
    return deleted > 0;
  },

  async list(db: Queryable): Promise<Webhook[]> {
    return db.$queryRawUnsafe<Webhook[]>(
      `/* listWebhooks */ SELECT ${webhookColumns} FROM webhooks w ORDER BY w.id`,
    );
  },

  /** The events a webhook gave up on, newest first. */
  async failedEvents(db: Queryable, webhookId: bigint, limit: number): Promise<Event[]> {
    return db.$queryRaw<Event[]>`/* webhookFailedEvents */
      SELECT e.id::text AS "id", e.type::text AS "type", e.created_at AS "createdAt", e.xact::text AS "xact",
        e.transaction_id::text AS "transactionId", e.payload AS "payload"
      FROM webhook_failures f JOIN events e ON e.id = f.event_id
      WHERE f.webhook_id = ${webhookId}::bigint
      ORDER BY f.failed_at DESC, f.event_id DESC
      LIMIT ${limit}::int`;
  },

  /**
   * Claims one webhook that is due and has events past its cursor below the horizon, for `leaseMs`.
   * SKIP LOCKED lets the replicas' workers pass over each other's candidates; the lease (not a
   * row lock) is what keeps the claim while the worker makes HTTP calls, so no transaction stays
   * open across them (an open transaction with an xid would hold the feed's horizon back).
   */
  async claim(db: Queryable, token: string, leaseMs: number): Promise<ClaimedWebhook | undefined> {
    const rows = await db.$queryRawUnsafe<ClaimedWebhook[]>(
      `/* claimWebhook */
      WITH due AS (
        SELECT w.id FROM webhooks w
        WHERE w.next_attempt_at <= clock_timestamp()
          AND (w.lease_until IS NULL OR w.lease_until < clock_timestamp())
          AND EXISTS (SELECT 1 FROM events e WHERE e.xact < ${horizon} AND (e.xact, e.id) > (w.cursor_xact, w.cursor_event_id))
        ORDER BY w.next_attempt_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )
      UPDATE webhooks w SET lease_owner = $1, lease_until = clock_timestamp() + $2::int * interval '1 millisecond'
      FROM due WHERE w.id = due.id
      RETURNING w.id, w.url, w.secret, w.cursor_xact AS "cursorXact", w.cursor_event_id AS "cursorEventId", w.attempts`,
      token,
      leaseMs,
    );
    return rows[0];
  },

  /**
   * Moves the cursor past a delivered event and renews the lease; false when the lease is lost or
   * the webhook was deleted, and the worker stops.
   */
  async advance(
    db: Queryable,
    id: bigint,
    token: string,
    past: FeedPosition,
    leaseMs: number,
  ): Promise<boolean> {
    const updated = await db.$executeRaw`/* advanceWebhook */
      UPDATE webhooks SET cursor_xact = ${past.xact}::bigint, cursor_event_id = ${past.id}::bigint,
        attempts = 0, failing_since = NULL, last_error = NULL, next_attempt_at = clock_timestamp(),
        lease_until = clock_timestamp() + ${leaseMs}::int * interval '1 millisecond'
      WHERE id = ${id}::bigint AND lease_owner = ${token}`;
    return updated > 0;
  },

  /**
   * Records a failed attempt at the head event and schedules the next one. Returns whether the
   * event has now been failing for the whole retry window (undefined: the lease is lost).
   */
  async recordFailure(
    db: Queryable,
    id: bigint,
    token: string,
    failure: { error: string; delayMs: number; retryWindowMs: number },
  ): Promise<{ attempts: number; windowOver: boolean } | undefined> {
    const rows = await db.$queryRaw<
      { attempts: number; windowOver: boolean }[]
    >`/* recordWebhookFailure */
      UPDATE webhooks SET attempts = attempts + 1, failing_since = COALESCE(failing_since, clock_timestamp()), last_error = ${failure.error},
        next_attempt_at = clock_timestamp() + ${failure.delayMs}::int * interval '1 millisecond'
      WHERE id = ${id}::bigint AND lease_owner = ${token}
      RETURNING attempts, (clock_timestamp() - failing_since >= ${failure.retryWindowMs}::bigint * interval '1 millisecond') AS "windowOver"`;
    return rows[0];
  },

  /** Gives up on the head event: records it as failed and moves the cursor past it, in one statement. */
  async giveUp(
    db: Queryable,
    id: bigint,
    token: string,
    event: FeedPosition,
    leaseMs: number,
  ): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: bigint }[]>`/* giveUpWebhookEvent */
      WITH w AS (
        UPDATE webhooks SET cursor_xact = ${event.xact}::bigint, cursor_event_id = ${event.id}::bigint,
          attempts = 0, failing_since = NULL, next_attempt_at = clock_timestamp(),
          lease_until = clock_timestamp() + ${leaseMs}::int * interval '1 millisecond'
        WHERE id = ${id}::bigint AND lease_owner = ${token}
        RETURNING id, (SELECT attempts FROM webhooks WHERE id = ${id}::bigint) AS attempts, last_error
      )
      INSERT INTO webhook_failures (webhook_id, event_id, attempts, last_error)
      SELECT w.id, ${event.id}::bigint, w.attempts, w.last_error FROM w
      ON CONFLICT DO NOTHING
      RETURNING webhook_id AS id`;
    return rows.length > 0;
  },

  /** Lets the webhook go (the cursor and schedule stay as they are). */
  async release(db: Queryable, id: bigint, token: string): Promise<void> {
    await db.$executeRaw`/* releaseWebhook */
      UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE id = ${id}::bigint AND lease_owner = ${token}`;
  },

  /** Per webhook: events waiting below the horizon (counted up to `cap`) and events given up on. */
  async backlog(
    db: Queryable,
    cap: number,
  ): Promise<{ id: string; pending: number; failed: number }[]> {
    return db.$queryRawUnsafe<{ id: string; pending: number; failed: number }[]>(
      `/* webhookBacklog */
      SELECT w.id::text AS "id",
        (SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.xact < ${horizon} AND (e.xact, e.id) > (w.cursor_xact, w.cursor_event_id) LIMIT $1::int) p)::int AS "pending",
        (SELECT count(*) FROM webhook_failures f WHERE f.webhook_id = w.id)::int AS "failed"
      FROM webhooks w ORDER BY w.id`,
      cap,
    );
  },
};
