import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { AccountKind, EntryDirection, LedgerEntry, Transaction, TransactionKind } from './ledger.types';
import { walletEventsChannel } from '../subscriptions/wallet-events';

type Queryable = PrismaClient | TxClient;

// The columns of a ledger entry, shaped as the GraphQL LedgerEntry. System-account postings have
// no sequence, running balance or user: they read 0, 0 and "system:<account>".
export const entryColumns = Prisma.sql`
  e.id::text AS "id", COALESCE(e.sequence, 0) AS "sequence",
  COALESCE(e.user_id, 'system:' || lower(e.account_kind::text)) AS "userId",
  e.asset_code AS "assetCode", e.account_kind::text AS "account", e.direction::text AS "direction",
  e.amount AS "amount", COALESCE(e.balance_after, 0) AS "balanceAfter",
  e.transaction_id::text AS "transactionId", e.transaction_kind::text AS "kind", e.created_at AS "createdAt"`;

const transactionColumns = Prisma.sql`
  t.id::text AS "id", t.kind::text AS "kind", t.user_id AS "userId", t.asset_code AS "assetCode",
  t.amount AS "amount", t.idempotency_key AS "idempotencyKey", t.reference AS "reference",
  t.metadata AS "metadata", t.created_at AS "createdAt", t.reverses_id::text AS "reversesId",
  t.hold_id::text AS "holdId"`;

/** Everything needed to post one two-legged transaction against a locked user wallet. */
export interface PostingPlan {
  kind: TransactionKind;
  clientId: string;
  idempotencyKey: string;
  operation: string;
  requestHash: string;
  walletId: bigint;
  userId: string;
  assetCode: string;
  /** The locked wallet's balance and sequence before this posting. */
  balanceBefore: bigint;
  sequenceBefore: bigint;
  /** CREDIT adds to the user's wallet, DEBIT takes from it; the system account gets the other side. */
  userDirection: EntryDirection;
  amount: bigint;
  systemAccountId: bigint;
  systemAccountKind: AccountKind;
  reference: string | null;
  metadata: unknown;
  reversesId: bigint | null;
  holdId: bigint | null;
}

export interface PostingResult {
  transactionId: string;
  transactionCreatedAt: Date;
  entryId: string;
  balanceAfter: bigint;
  sequence: bigint;
  walletUpdatedAt: Date;
}

export interface EntryFilter {
  userId: string;
  assetCode?: string;
  kinds?: TransactionKind[];
  since?: Date;
  until?: Date;
  reference?: string;
  /** Only entries older than this entry id (the keyset cursor). */
  beforeEntryId?: bigint;
  limit: number;
}

/** All SQL about transactions, ledger entries and idempotency outcomes. */
export const ledgerStore = {
  /**
   * Posts the transaction, both ledger entries, the wallet's new balance and the key's outcome in
   * one statement (one round trip while the wallet row is locked). The wallet update is guarded
   * by the balance and sequence read under the lock; a mismatch would mean the lock did not hold,
   * and the caller aborts the transaction.
   */
  async postTransfer(db: TxClient, plan: PostingPlan): Promise<PostingResult | undefined> {
    const delta = plan.userDirection === 'CREDIT' ? plan.amount : -plan.amount;
    const balanceAfter = plan.balanceBefore + delta;
    const sequence = plan.sequenceBefore + 1n;
    const systemDirection = plan.userDirection === 'CREDIT' ? 'DEBIT' : 'CREDIT';
    const metadata = plan.metadata === undefined || plan.metadata === null ? null : JSON.stringify(plan.metadata);
    const rows = await db.$queryRaw<{ transaction_id: string; transaction_created_at: Date; entry_id: string; wallet_updated_at: Date | null }[]>`/* postTransfer */
      WITH tx AS (
        INSERT INTO transactions (kind, client_id, idempotency_key, user_id, asset_code, amount, reference, metadata, reverses_id, hold_id)
        VALUES (${plan.kind}::transaction_kind, ${plan.clientId}, ${plan.idempotencyKey}, ${plan.userId}, ${plan.assetCode},
                ${plan.amount}::bigint, ${plan.reference}::text, ${metadata}::jsonb, ${plan.reversesId}::bigint, ${plan.holdId}::bigint)
        RETURNING id, created_at
      ), user_entry AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after)
        SELECT tx.id, ${plan.walletId}::bigint, 'USER'::account_kind, ${plan.userId}, ${plan.assetCode}, ${plan.kind}::transaction_kind,
               ${plan.userDirection}::entry_direction, ${plan.amount}::bigint, ${sequence}::bigint, ${balanceAfter}::bigint
        FROM tx
        RETURNING id
      ), system_entry AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount)
        SELECT tx.id, ${plan.systemAccountId}::bigint, ${plan.systemAccountKind}::account_kind, NULL, ${plan.assetCode}, ${plan.kind}::transaction_kind,
               ${systemDirection}::entry_direction, ${plan.amount}::bigint
        FROM tx
      ), wallet AS (
        UPDATE wallets SET balance = ${balanceAfter}::bigint, last_sequence = ${sequence}::bigint, updated_at = clock_timestamp(),
          -- Clear the holds hint once no hold is ACTIVE (this statement's snapshot is taken after the
          -- lock was granted, so it sees every hold change made under that lock).
          may_have_holds = wallets.may_have_holds
            AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = ${plan.walletId}::bigint AND h.status = 'ACTIVE')
        WHERE id = ${plan.walletId}::bigint AND balance = ${plan.balanceBefore}::bigint AND last_sequence = ${plan.sequenceBefore}::bigint
        RETURNING updated_at
      ), outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id, hold_id)
        SELECT ${plan.clientId}, ${plan.idempotencyKey}, ${plan.operation}, ${plan.requestHash}, 'SUCCEEDED'::idempotency_outcome, tx.id, ${plan.holdId}::bigint
        FROM tx
      )
      SELECT tx.id::text AS transaction_id, tx.created_at AS transaction_created_at, user_entry.id::text AS entry_id,
        wallet.updated_at AS wallet_updated_at,
        -- The live-subscription wake-up: PostgreSQL delivers it only when this transaction
        -- commits. It sits in the select list because a CTE nobody references never runs.
        pg_notify(${walletEventsChannel}, json_build_object('walletId', ${plan.walletId}::text, 'userId', ${plan.userId}::text,
          'asset', ${plan.assetCode}::text, 'sequence', ${sequence}::text, 'entryId', user_entry.id::text)::text)::text AS notified
      FROM tx CROSS JOIN user_entry LEFT JOIN wallet ON true`;
    const row = rows[0];
    if (!row || !row.wallet_updated_at) return undefined;
    return {
      transactionId: row.transaction_id, transactionCreatedAt: row.transaction_created_at, entryId: row.entry_id,
      balanceAfter, sequence, walletUpdatedAt: row.wallet_updated_at,
    };
  },

  /** Records a business refusal as the key's one outcome, so that a retry gets the same answer. */
  async recordRefusal(db: TxClient, refusal: { clientId: string; idempotencyKey: string; operation: string; requestHash: string; errorCode: string }): Promise<void> {
    await db.$executeRaw`/* recordRefusal */
      INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, error_code)
      VALUES (${refusal.clientId}, ${refusal.idempotencyKey}, ${refusal.operation}, ${refusal.requestHash}, 'REFUSED'::idempotency_outcome, ${refusal.errorCode})`;
  },

  async findTransactionsByIds(db: Queryable, ids: readonly bigint[]): Promise<Transaction[]> {
    return db.$queryRaw<Transaction[]>`/* findTransactionsByIds */
      SELECT ${transactionColumns} FROM transactions t WHERE t.id = ANY(${ids as bigint[]}::bigint[])`;
  },

  async findEntriesByTransactionIds(db: Queryable, ids: readonly bigint[]): Promise<LedgerEntry[]> {
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesByTransactionIds */
      SELECT ${entryColumns} FROM ledger_entries e WHERE e.transaction_id = ANY(${ids as bigint[]}::bigint[])
      ORDER BY e.transaction_id, e.id`;
  },

  async findEntryById(db: Queryable, id: bigint): Promise<LedgerEntry | undefined> {
    const rows = await db.$queryRaw<LedgerEntry[]>`/* findEntryById */
      SELECT ${entryColumns} FROM ledger_entries e WHERE e.id = ${id}::bigint`;
    return rows[0];
  },

  /** A page of a user's entries, newest first, by keyset on the entry id (one index range scan). */
  async findEntriesPage(db: Queryable, filter: EntryFilter): Promise<LedgerEntry[]> {
    const conditions: Prisma.Sql[] = [];
    if (filter.assetCode !== undefined) {
      // Scoping to the wallet lets the (wallet_id, id) index serve the whole page.
      conditions.push(Prisma.sql`e.wallet_id = (SELECT w.id FROM wallets w WHERE w.user_id = ${filter.userId} AND w.asset_code = ${filter.assetCode})`);
    } else {
      conditions.push(Prisma.sql`e.user_id = ${filter.userId}`);
    }
    if (filter.kinds && filter.kinds.length > 0) conditions.push(Prisma.sql`e.transaction_kind = ANY(${filter.kinds}::transaction_kind[])`);
    if (filter.since) conditions.push(Prisma.sql`e.created_at >= ${filter.since}::timestamptz`);
    if (filter.until) conditions.push(Prisma.sql`e.created_at < ${filter.until}::timestamptz`);
    if (filter.reference !== undefined) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.transaction_id AND t.reference = ${filter.reference})`);
    }
    if (filter.beforeEntryId !== undefined) conditions.push(Prisma.sql`e.id < ${filter.beforeEntryId}::bigint`);
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesPage */
      SELECT ${entryColumns} FROM ledger_entries e
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY e.id DESC
      LIMIT ${filter.limit}::int`;
  },

  /** A wallet's entries after a sequence, oldest first (subscription replay). */
  async findEntriesAfterSequence(db: Queryable, userId: string, assetCode: string, afterSequence: bigint, limit: number): Promise<LedgerEntry[]> {
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesAfterSequence */
      SELECT ${entryColumns} FROM ledger_entries e
      WHERE e.wallet_id = (SELECT w.id FROM wallets w WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode})
        AND e.sequence > ${afterSequence}::bigint
      ORDER BY e.sequence ASC
      LIMIT ${limit}::int`;
  },
};
