import { Prisma, type PrismaClient } from '../../generated/prisma/client';
import type { TxClient } from '../shared/db/prisma';
import type { RefusalCode, RefusalDetail } from '../shared/errors';
import { activeHoldSql } from './holds.sql';
import { walletEventsChannel } from './wallet-events';
import type { DraftedPosting, WalletChange } from './book';
import { fromStored, nextExpiry, toStored, type StoredLot } from './lots';
import type { BookWallet, KeyOutcome, LimitsOf, RecordedOutcome, WalletRef } from './types';

/** Who is deciding under which key: the key's scope and the request's fingerprint. */
export type KeyScope = KeyOutcome;

export interface Locked {
  wallets: (BookWallet & { mayHaveHolds: boolean; lastXact: bigint })[];
  /** The outcomes the keys already have, by client and key (see keyOf). */
  priors: Map<string, RecordedOutcome>;
  /** This database transaction's id (xid8 as a number). */
  xact: bigint;
  now: Date;
  /** The limits of the assets named, as of now. */
  limits: Map<string, LimitsOf>;
  /** Users frozen as a whole (for wallets that do not exist yet). */
  frozenUsers: Set<string>;
  /** Transaction ids allocated for the postings the decision may draft. */
  ids: bigint[];
}

interface LockRow {
  id: bigint | null;
  user_id: string | null;
  asset_code: string | null;
  balance: bigint | null;
  last_sequence: bigint | null;
  updated_at: Date | null;
  may_have_holds: boolean | null;
  last_xact: bigint | null;
  lots: StoredLot[] | null;
  frozen: boolean | null;
  bonus_day: number | null;
  bonus_today: bigint | null;
  transfer_out_day: number | null;
  transfer_out_today: bigint | null;
  limits_json: Record<string, Record<string, string | null>> | null;
  frozen_users: string[] | null;
  ids: string[] | null;
  priors: PriorJson[] | null;
  xact: string;
  now: Date;
}

/** A key's recorded outcome as the lock statement returns it (JSON: ids and amounts as text). */
interface PriorJson {
  client_id: string;
  key: string;
  operation: string;
  request_hash: string;
  outcome: 'SUCCEEDED' | 'REFUSED';
  error_code: string | null;
  error_detail: RefusalDetail | null;
  transaction_id: string | null;
  hold_id: string | null;
  changeset_id: string | null;
}

const big = (value: string | null): bigint | null => (value === null ? null : BigInt(value));

function priorOf(row: PriorJson): RecordedOutcome {
  return {
    operation: row.operation,
    requestHash: row.request_hash,
    outcome: row.outcome,
    errorCode: row.error_code,
    errorDetail: row.error_detail,
    transactionId: big(row.transaction_id),
    holdId: big(row.hold_id),
    changesetId: big(row.changeset_id),
  };
}

/** One batch's writes: every accepted operation's postings, its key's outcome, and the refusals. */
export interface RecordedBatch {
  postings: { drafted: DraftedPosting; scope: KeyScope }[];
  /** Successes that posted: the index (in `postings`) of the operation's first transaction. */
  outcomes: { scope: KeyScope; firstPosting: number; holdId: bigint | null }[];
  refusals: { scope: KeyScope; code: RefusalCode; detail: RefusalDetail | undefined }[];
}

/** What active holds reserve per lot, summed. */
export function sumReservations(
  reservations: readonly { lotId: string; amount: string }[],
): Map<bigint, bigint> {
  const reserved = new Map<bigint, bigint>();
  for (const r of reservations)
    reserved.set(BigInt(r.lotId), (reserved.get(BigInt(r.lotId)) ?? 0n) + BigInt(r.amount));
  return reserved;
}

const json = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** What the lock statement takes: the wallets (as parallel arrays), the keys, how many ids. */
interface LockQuery {
  users: string[];
  assets: string[];
  clients: string[];
  keys: string[];
  idsCount: number;
}

/** The lock statement (see moneyStore.lock). */
const lockSql = (q: LockQuery) => Prisma.sql`/* lockWallets */
      WITH wanted AS (
        SELECT * FROM unnest(${q.users}::text[], ${q.assets}::text[]) AS r(user_id, asset_code)
      ), advisory AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(k.key) FROM (
          SELECT DISTINCT hashtextextended(r.asset_code || E'\x1f' || r.user_id, 0) AS key FROM wanted r ORDER BY 1
        ) AS k
      ), locked AS MATERIALIZED (
        SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, w.may_have_holds, w.last_xact,
          w.lots, w.frozen OR w.user_frozen AS frozen, w.bonus_day, w.bonus_today,
          w.transfer_out_day, w.transfer_out_today
        FROM wallets w
        JOIN wanted r ON w.user_id = r.user_id AND w.asset_code = r.asset_code
        WHERE (SELECT count(*) FROM advisory) >= 0
        ORDER BY w.id
        FOR UPDATE OF w
      )
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, w.may_have_holds, w.last_xact,
        w.lots, w.frozen, w.bonus_day, w.bonus_today, w.transfer_out_day, w.transfer_out_today,
        (SELECT json_object_agg(a.code, json_build_object('balanceMax', a.balance_max::text, 'dailyBonusMax', a.daily_bonus_max::text,
           'dailyTransferOutMax', a.daily_transfer_out_max::text)) FROM assets a WHERE a.code = ANY(${q.assets}::text[])) AS limits_json,
        (SELECT array_agg(f.user_id) FROM user_freezes f WHERE f.user_id = ANY(${q.users}::text[])) AS frozen_users,
        (SELECT array_agg(nextval('transactions_id_seq')::text) FROM generate_series(1, ${q.idsCount}::int)) AS ids,
        -- count(*) reads all of locked first: the function runs with every lock held.
        (SELECT key_outcomes_now(${q.clients}::text[], ${q.keys}::text[]) FROM (SELECT count(*) FROM locked) AS held) AS priors,
        pg_current_xact_id()::text AS xact, clock_timestamp() AS now
      FROM (SELECT 1) AS one
      LEFT JOIN locked w ON true
      ORDER BY w.id`;

const lockedWalletOf = (row: LockRow): Locked['wallets'][number] => ({
  id: row.id!,
  userId: row.user_id!,
  assetCode: row.asset_code!,
  balance: row.balance!,
  held: 0n,
  lastSequence: row.last_sequence!,
  updatedAt: row.updated_at!,
  mayHaveHolds: row.may_have_holds!,
  lastXact: row.last_xact!,
  lots: (row.lots ?? []).map(fromStored),
  reserved: new Map<bigint, bigint>(),
  frozen: row.frozen === true,
  bonusDay: row.bonus_day,
  bonusToday: row.bonus_today ?? 0n,
  transferOutDay: row.transfer_out_day,
  transferOutToday: row.transfer_out_today ?? 0n,
});

const optionalBig = (value: string | null | undefined): bigint | null =>
  value == null ? null : BigInt(value);

function limitsOf(json: LockRow['limits_json']): Map<string, LimitsOf> {
  return new Map(
    Object.entries(json ?? {}).map(([code, l]) => [
      code,
      {
        balanceMax: optionalBig(l.balanceMax),
        dailyBonusMax: optionalBig(l.dailyBonusMax),
        dailyTransferOutMax: optionalBig(l.dailyTransferOutMax),
      },
    ]),
  );
}

/** The posting statement (see moneyStore.post): the batch's rows as one JSON document. */
const postSql = (docJson: string) => Prisma.sql`/* postTransactions */
      WITH doc AS (SELECT ${docJson}::jsonb AS d),
      tx AS (
        INSERT INTO transactions (id, kind, client_id, idempotency_key, user_id, asset_code, amount, paid_amount, reference, metadata,
          reverses_id, hold_id, counterparty_user_id, changeset_id, leg_index)
        SELECT t.id, t.kind, t.client_id, t.idempotency_key, t.user_id, t.asset_code, t.amount, t.paid_amount, t.reference, t.metadata,
          t.reverses_id, t.hold_id, t.counterparty_user_id, t.changeset_id, t.leg_index
        FROM doc, jsonb_to_recordset(doc.d->'txs') AS t(id bigint, paid_amount bigint, kind transaction_kind, client_id text,
          idempotency_key text, user_id text, asset_code text, amount bigint, reference text, metadata jsonb, reverses_id bigint,
          hold_id bigint, counterparty_user_id text, changeset_id bigint, leg_index int)
        RETURNING id, created_at
      ),
      entries AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after, paid_after)
        SELECT e.transaction_id, e.wallet_id, e.account_kind, e.user_id, e.asset_code, e.kind, e.direction, e.amount, e.sequence, e.balance_after, e.paid_after
        FROM doc, jsonb_to_recordset(doc.d->'entries') AS e(transaction_id bigint, wallet_id bigint, account_kind account_kind, user_id text,
          asset_code text, kind transaction_kind, direction entry_direction, amount bigint, sequence bigint, balance_after bigint, paid_after bigint)
        RETURNING id, wallet_id, user_id, asset_code, sequence
      ),
      changed AS (
        UPDATE wallets w SET balance = u.balance, last_sequence = u.sequence, updated_at = clock_timestamp(),
          last_xact = pg_current_xact_id()::text::bigint, lots = u.lots, next_expiry = u.next_expiry,
          bonus_day = u.bonus_day, bonus_today = u.bonus_today, transfer_out_day = u.transfer_out_day, transfer_out_today = u.transfer_out_today,
          -- Clear the holds hint once no hold is ACTIVE (this statement's snapshot is taken after the
          -- locks were granted, so it sees every hold change made under them).
          may_have_holds = w.may_have_holds AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = w.id AND h.status = 'ACTIVE')
        FROM doc, jsonb_to_recordset(doc.d->'wallets') AS u(id bigint, balance_before bigint, sequence_before bigint, balance bigint, sequence bigint,
          lots jsonb, next_expiry timestamptz, bonus_day int, bonus_today bigint, transfer_out_day int, transfer_out_today bigint)
        WHERE w.id = u.id AND w.balance = u.balance_before AND w.last_sequence = u.sequence_before
        RETURNING w.id, w.updated_at
      ),
      new_lots AS (
        INSERT INTO credit_lots (id, wallet_id, origin, amount, expires_at, created_at)
        SELECT l.id, l.wallet_id, l.origin, l.amount, l.expires_at, tx.created_at
        FROM doc, jsonb_to_recordset(doc.d->'lots') AS l(id bigint, wallet_id bigint, origin credit_origin, amount bigint, expires_at timestamptz)
        JOIN tx ON tx.id = l.id
        RETURNING id
      ),
      moved AS (
        INSERT INTO lot_movements (transaction_id, lot_id, amount)
        SELECT m.transaction_id, m.lot_id, m.amount
        FROM doc, jsonb_to_recordset(doc.d->'movements') AS m(transaction_id bigint, lot_id bigint, amount bigint)
        -- After the transactions and the new lots (foreign keys): only through them.
        WHERE (SELECT count(*) FROM tx) > 0 AND (SELECT count(*) FROM new_lots) >= 0
      ),
      outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id, hold_id, changeset_id, error_code, error_detail)
        SELECT o.client_id, o.key, o.operation, o.request_hash, o.outcome, o.transaction_id, o.hold_id, o.changeset_id, o.error_code, o.error_detail
        FROM doc, jsonb_to_recordset(doc.d->'outcomes') AS o(client_id text, key text, operation text, request_hash text,
          outcome idempotency_outcome, transaction_id bigint, hold_id bigint, changeset_id bigint, error_code text, error_detail jsonb)
      ),
      -- The live-subscription wake-ups: PostgreSQL delivers them only when this transaction commits.
      notified AS (
        SELECT pg_notify(${walletEventsChannel}, json_build_object('walletId', e.wallet_id::text, 'userId', e.user_id,
          'asset', e.asset_code, 'sequence', e.sequence::text, 'entryId', e.id::text)::text)
        FROM entries e WHERE e.user_id IS NOT NULL
      )
      SELECT 'tx' AS row_kind, tx.id, tx.created_at AS at FROM tx
      UNION ALL SELECT 'wallet', changed.id, changed.updated_at FROM changed
      UNION ALL SELECT 'notified', count(*), NULL FROM notified`;

const transactionRowOf = ({ drafted: d, scope }: RecordedBatch['postings'][number]) => ({
  id: d.id,
  paid_amount: d.paidAmount,
  kind: d.posting.kind,
  client_id: scope.clientId,
  idempotency_key: scope.key,
  user_id: d.posting.userId,
  asset_code: d.posting.assetCode,
  amount: d.posting.amount,
  reference: d.posting.reference,
  metadata: d.posting.metadata ?? null,
  reverses_id: d.posting.reversesId ?? null,
  hold_id: d.posting.holdId ?? null,
  counterparty_user_id: d.posting.counterpartyUserId ?? null,
  changeset_id: d.changesetId,
  leg_index: d.posting.legIndex ?? 0,
});

const entryRowsOf = (
  d: DraftedPosting,
  systemAccountId: (assetCode: string, account: string) => bigint,
) =>
  d.entries.map((e) => ({
    transaction_id: d.id,
    wallet_id: e.walletId ?? systemAccountId(d.posting.assetCode, e.leg.account),
    account_kind: e.leg.account,
    user_id: e.leg.account === 'USER' ? e.leg.wallet.userId : null,
    asset_code: d.posting.assetCode,
    kind: d.posting.kind,
    direction: e.leg.direction,
    amount: e.leg.amount,
    sequence: e.sequence,
    balance_after: e.balanceAfter,
    paid_after: e.paidAfter,
  }));

const walletRowOf = (c: WalletChange) => ({
  id: c.wallet.id,
  balance_before: c.balanceBefore,
  sequence_before: c.sequenceBefore,
  balance: c.wallet.balance,
  sequence: c.wallet.lastSequence,
  lots: c.wallet.lots.map(toStored),
  next_expiry: nextExpiry(c.wallet.lots)?.toISOString() ?? null,
  bonus_day: c.wallet.bonusDay,
  bonus_today: c.wallet.bonusToday,
  transfer_out_day: c.wallet.transferOutDay,
  transfer_out_today: c.wallet.transferOutToday,
});

/** Every key's outcome in the batch: successes that posted, and refusals. */
const outcomeRowsOf = (batch: RecordedBatch) => [
  ...batch.outcomes.map(({ scope, firstPosting, holdId }) => {
    const first = batch.postings[firstPosting]!.drafted;
    return {
      client_id: scope.clientId,
      key: scope.key,
      operation: scope.operation,
      request_hash: scope.requestHash,
      outcome: 'SUCCEEDED',
      // A changeset's key records the changeset; any other success its (first) transaction.
      transaction_id: first.changesetId === null ? first.id : null,
      hold_id: holdId,
      changeset_id: first.changesetId,
      error_code: null,
      error_detail: null,
    };
  }),
  ...batch.refusals.map(({ scope, code, detail }) => ({
    client_id: scope.clientId,
    key: scope.key,
    operation: scope.operation,
    request_hash: scope.requestHash,
    outcome: 'REFUSED',
    transaction_id: null,
    hold_id: null,
    changeset_id: null,
    error_code: code,
    error_detail: detail ?? null,
  })),
];

/** The named SQL of the money engine: lock and read, post, record outcomes. */
export const moneyStore = {
  /**
   * Locks every listed wallet that exists, in one statement, and reads the key's recorded outcome
   * in the same round trip. First an advisory lock per (user, asset), in key order, then the wallet
   * rows FOR UPDATE in wallet-id order: no two money transactions ever wait on each other in a
   * cycle. The advisory locks come first because taking them assigns no transaction id: the id is
   * assigned by the first row lock, once every wallet is this transaction's, so along each wallet
   * transaction ids grow with its sequence (the event feed's order relies on it). They also cover
   * wallets that do not exist yet, so two first credits of one wallet queue like any others.
   * The keys are read once every lock is held, with a snapshot taken then (key_outcomes_now, a
   * VOLATILE function, after the whole locked set has been read): a key that a transaction holding
   * some of the same wallets recorded while this statement waited is seen, so the batch replays it
   * instead of failing on the key's unique index. A key a transaction on other wallets records
   * later still meets that index: this transaction then fails, retries and replays the winner.
   */
  async lock(
    tx: TxClient,
    refs: readonly WalletRef[],
    scopes: readonly KeyScope[],
    idsCount: number,
  ): Promise<Locked> {
    const rows = await tx.$queryRaw<LockRow[]>(
      lockSql({
        users: refs.map((ref) => ref.userId),
        assets: refs.map((ref) => ref.assetCode),
        clients: scopes.map((scope) => scope.clientId),
        keys: scopes.map((scope) => scope.key),
        idsCount,
      }),
    );
    const first = rows[0]!;
    return {
      wallets: rows.filter((row) => row.id !== null).map(lockedWalletOf),
      priors: new Map(
        (first.priors ?? []).map((row) => [`${row.client_id}\u0000${row.key}`, priorOf(row)]),
      ),
      xact: BigInt(first.xact),
      now: first.now,
      limits: limitsOf(first.limits_json),
      frozenUsers: new Set(first.frozen_users ?? []),
      ids: (first.ids ?? []).map((id) => BigInt(id)),
    };
  },

  /**
   * The held amounts of locked wallets. A second statement, after the locks are granted: summed in
   * the lock statement they would come from its snapshot, which misses hold changes committed by
   * the transaction this one waited for. Holds change only under their wallet's lock, so a
   * snapshot taken now sees every change up to the wallet's current version.
   */
  async held(
    tx: TxClient,
    walletIds: bigint[],
  ): Promise<Map<bigint, { held: bigint; reserved: Map<bigint, bigint> }>> {
    const rows = await tx.$queryRaw<
      { wallet_id: bigint; held: bigint; reservations: { lotId: string; amount: string }[][] }[]
    >`/* lockedWalletsHeld */
      SELECT h.wallet_id, SUM(h.amount)::bigint AS held, jsonb_agg(h.reserved_lots) AS reservations FROM holds h
      WHERE h.wallet_id = ANY(${walletIds}::bigint[]) AND ${activeHoldSql}
      GROUP BY h.wallet_id`;
    return new Map(
      rows.map((row) => [
        row.wallet_id,
        { held: row.held, reserved: sumReservations(row.reservations.flat()) },
      ]),
    );
  },

  /** Creates users and wallets that do not exist yet; safe when many first credits race. */
  async createWallets(tx: TxClient, refs: readonly WalletRef[]): Promise<void> {
    const users = refs.map((ref) => ref.userId);
    const assets = refs.map((ref) => ref.assetCode);
    await tx.$executeRaw`/* createWallets */
      WITH wanted AS (SELECT * FROM unnest(${users}::text[], ${assets}::text[]) AS r(user_id, asset_code)),
      new_users AS (INSERT INTO users (id) SELECT DISTINCT user_id FROM wanted ON CONFLICT (id) DO NOTHING)
      INSERT INTO wallets (account_kind, user_id, asset_code, user_frozen)
      SELECT 'USER', r.user_id, r.asset_code, EXISTS (SELECT 1 FROM user_freezes f WHERE f.user_id = r.user_id)
      FROM wanted r ORDER BY r.asset_code, r.user_id
      ON CONFLICT (user_id, asset_code) DO NOTHING`;
  },

  /**
   * Posts a batch in one statement, one round trip while the wallets are locked: every drafted
   * transaction, its entries and lot movements, the new lots, the changed wallets, and every key's
   * outcome (successes and refusals alike). Each wallet update is guarded by the balance and
   * sequence read under the lock; a mismatch means the lock did not hold, and the caller aborts.
   * Each user entry queues its live-subscription wake-up, delivered only at commit.
   */
  async post(
    tx: TxClient,
    batch: RecordedBatch,
    changes: readonly WalletChange[],
    systemAccountId: (assetCode: string, account: string) => bigint,
  ): Promise<{ transactions: Map<bigint, { createdAt: Date }>; wallets: Map<bigint, Date> }> {
    const drafted = batch.postings.map((p) => p.drafted);
    const doc = {
      txs: batch.postings.map(transactionRowOf),
      entries: drafted.flatMap((d) => entryRowsOf(d, systemAccountId)),
      wallets: changes.map(walletRowOf),
      lots: drafted.flatMap((d) =>
        d.newLots.map(({ walletId, lot }) => ({
          id: lot.id,
          wallet_id: walletId,
          origin: lot.origin,
          amount: lot.remaining,
          expires_at: lot.expiresAt?.toISOString() ?? null,
        })),
      ),
      movements: drafted.flatMap((d) =>
        d.movements.map((m) => ({ transaction_id: d.id, lot_id: m.lotId, amount: m.amount })),
      ),
      outcomes: outcomeRowsOf(batch),
    };
    const rows = await tx.$queryRaw<{ row_kind: string; id: bigint; at: Date | null }[]>(
      postSql(json(doc)),
    );
    const transactions = new Map(
      rows.filter((row) => row.row_kind === 'tx').map((row) => [row.id, { createdAt: row.at! }]),
    );
    const wallets = new Map(
      rows.filter((row) => row.row_kind === 'wallet').map((row) => [row.id, row.at!]),
    );
    if (transactions.size !== drafted.length || wallets.size !== changes.length) {
      throw new Error('invariant: a locked wallet changed before the posting');
    }
    return { transactions, wallets };
  },

  /**
   * The outcomes the keys have now, by a statement of its own: for a decision that found its input
   * malformed, which a key decided since the lock statement may overrule.
   */
  async readOutcomes(
    tx: TxClient,
    scopes: readonly KeyScope[],
  ): Promise<Map<string, RecordedOutcome>> {
    const clients = scopes.map((scope) => scope.clientId);
    const keys = scopes.map((scope) => scope.key);
    const rows = await tx.$queryRaw<PriorJson[]>`/* readOutcomes */
      SELECT i.client_id, i.key, i.operation, i.request_hash, i.outcome::text AS outcome, i.error_code, i.error_detail,
        i.transaction_id::text AS transaction_id, i.hold_id::text AS hold_id, i.changeset_id::text AS changeset_id
      FROM idempotency_keys i JOIN unnest(${clients}::text[], ${keys}::text[]) AS k(client_id, key)
        ON i.client_id = k.client_id AND i.key = k.key`;
    return new Map(rows.map((row) => [`${row.client_id}\u0000${row.key}`, priorOf(row)]));
  },

  /** The outcome a key has, read after the commit (a key decided twice in one batch replays it). */
  async readOutcome(db: PrismaClient, scope: KeyScope): Promise<RecordedOutcome | undefined> {
    const rows = await db.$queryRaw<PriorJson[]>`/* readOutcome */
      SELECT i.client_id, i.key, i.operation, i.request_hash, i.outcome::text AS outcome, i.error_code, i.error_detail,
        i.transaction_id::text AS transaction_id, i.hold_id::text AS hold_id, i.changeset_id::text AS changeset_id
      FROM idempotency_keys i WHERE i.client_id = ${scope.clientId} AND i.key = ${scope.key}`;
    return rows[0] && priorOf(rows[0]);
  },
};
