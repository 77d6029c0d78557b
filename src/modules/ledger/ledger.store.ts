import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { LedgerEntry, Transaction, TransactionKind } from './ledger.types';

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
  t.hold_id::text AS "holdId", t.counterparty_user_id AS "counterpartyUserId", t.changeset_id::text AS "changesetId",
  t.client_id AS "clientId", t.paid_amount AS "paidAmount", t.amount - t.paid_amount AS "freeAmount"`;

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
  async findTransactionsByIds(db: Queryable, ids: readonly bigint[]): Promise<Transaction[]> {
    return db.$queryRaw<Transaction[]>`/* findTransactionsByIds */
      SELECT ${transactionColumns} FROM transactions t WHERE t.id = ANY(${ids as bigint[]}::bigint[])`;
  },

  /** The legs of a changeset, in leg order. */
  async findTransactionsByChangesetId(db: Queryable, changesetId: bigint): Promise<Transaction[]> {
    return db.$queryRaw<Transaction[]>`/* findTransactionsByChangesetId */
      SELECT ${transactionColumns} FROM transactions t WHERE t.changeset_id = ${changesetId}::bigint ORDER BY t.leg_index`;
  },

  async findEntriesByTransactionIds(db: Queryable, ids: readonly bigint[]): Promise<LedgerEntry[]> {
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesByTransactionIds */
      SELECT ${entryColumns} FROM ledger_entries e WHERE e.transaction_id = ANY(${ids as bigint[]}::bigint[])
      ORDER BY e.transaction_id, e.id`;
  },

  /** A page of a user's entries, newest first, by keyset on the entry id (one index range scan). */
  async findEntriesPage(db: Queryable, filter: EntryFilter): Promise<LedgerEntry[]> {
    const conditions: Prisma.Sql[] = [];
    if (filter.assetCode !== undefined) {
      // Scoping to the wallet lets the (wallet_id, id) index serve the whole page.
      conditions.push(
        Prisma.sql`e.wallet_id = (SELECT w.id FROM wallets w WHERE w.user_id = ${filter.userId} AND w.asset_code = ${filter.assetCode})`,
      );
    } else {
      conditions.push(Prisma.sql`e.user_id = ${filter.userId}`);
    }
    if (filter.kinds && filter.kinds.length > 0)
      conditions.push(Prisma.sql`e.transaction_kind = ANY(${filter.kinds}::transaction_kind[])`);
    if (filter.since) conditions.push(Prisma.sql`e.created_at >= ${filter.since}::timestamptz`);
    if (filter.until) conditions.push(Prisma.sql`e.created_at < ${filter.until}::timestamptz`);
    if (filter.reference !== undefined) {
      conditions.push(
        Prisma.sql`EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.transaction_id AND t.reference = ${filter.reference})`,
      );
    }
    if (filter.beforeEntryId !== undefined)
      conditions.push(Prisma.sql`e.id < ${filter.beforeEntryId}::bigint`);
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesPage */
      SELECT ${entryColumns} FROM ledger_entries e
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY e.id DESC
      LIMIT ${filter.limit}::int`;
  },

  /** A wallet's entries after a sequence, oldest first (subscription replay). */
  async findEntriesAfterSequence(
    db: Queryable,
    userId: string,
    assetCode: string,
    afterSequence: bigint,
    limit: number,
  ): Promise<LedgerEntry[]> {
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesAfterSequence */
      SELECT ${entryColumns} FROM ledger_entries e
      WHERE e.wallet_id = (SELECT w.id FROM wallets w WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode})
        AND e.sequence > ${afterSequence}::bigint
      ORDER BY e.sequence ASC
      LIMIT ${limit}::int`;
  },
};
