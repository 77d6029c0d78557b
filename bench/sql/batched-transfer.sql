-- pgbench reference (c), "batched": group commit's shape driven by pgbench, with no Node, Prisma
-- or GraphQL in between. One pgbench transaction posts :batch transfers (topups or spends) the
-- way the money engine posts a batch of them:
--   BEGIN;
--   one statement that locks every wallet of the batch: advisory locks per (user, asset) in key
--     order, then the wallet rows FOR UPDATE in id order (as moneyStore.lock), and reads the
--     batch's keys' recorded outcomes and allocates the transaction ids in the same round trip;
--   one set-based statement that posts every transfer (as moneyStore.post): the transactions, the
--     user entries (each wallet's sequence and running balance numbered with row_number() and a
--     running sum over the wallet, so that several transfers on one hot wallet apply one after
--     another), the system entries, the wallets' final balance and sequence (guarded by the
--     balance and sequence read under the lock), the keys' outcomes, and one NOTIFY per transfer;
--   COMMIT.
-- What it leaves out of the engine's transaction: reading the keys with a snapshot taken once the
-- locks are held (the engine calls key_outcomes_now in the same statement; this script reads them
-- with the statement's own snapshot), the lots (credit_lots, lot_movements, wallets.lots: the ceiling wallets
-- are exempt from the lots rule, like the same-SQL script's), the asset limits and user freezes
-- the lock statement also reads, and the JSON document the engine passes its rows in.
-- Run with -M prepared. pgbench's tps counts batches: transfers/s = tps x :batch, and the latency
-- of a pgbench transaction is that of a whole batch.
--
-- Variables (-D): as in same-sql-transfer.sql (kind, udir, sdir, skind, sys, op, cid, asset, hash,
-- channel, amount, delta, ubase, stride, spread), plus batch (transfers per transaction).
-- Distinct wallets: client c takes :batch consecutive users of its own slice of the pool
-- (stride >= batch); one hot wallet: spread=0, every transfer of the batch on :ubase.
-- Keys are '<random>-<0..batch-1>', distinct within and (with overwhelming odds) across batches.
\set first :ubase + (:client_id * :stride + random(0, :stride - :batch)) * :spread
\set k random(1, 9000000000000000000)
BEGIN;
/* lockWallets (batched) */
      WITH wanted AS (
        SELECT DISTINCT (:first::bigint + g * :spread::bigint)::text AS user_id
        FROM generate_series(0, :batch::int - 1) AS g
      ), advisory AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(a.key) FROM (
          SELECT DISTINCT hashtextextended(:asset::text || chr(31) || r.user_id, 0) AS key FROM wanted r ORDER BY 1
        ) AS a
      ), locked AS (
        SELECT w.id, w.user_id, w.balance, w.last_sequence
        FROM wallets w
        JOIN wanted r ON w.user_id = r.user_id AND w.asset_code = :asset
        WHERE (SELECT count(*) FROM advisory) >= 0
        ORDER BY w.id
        FOR UPDATE OF w
      )
      SELECT array_agg(l.id ORDER BY l.id)::text AS ids, array_agg(l.user_id ORDER BY l.id)::text AS users,
        array_agg(l.balance ORDER BY l.id)::text AS balances, array_agg(l.last_sequence ORDER BY l.id)::text AS sequences,
        (SELECT array_agg(nextval('transactions_id_seq'))::text FROM generate_series(1, :batch::int)) AS txids,
        (SELECT count(*) FROM idempotency_keys i
          WHERE i.client_id = :cid AND i.key IN (SELECT :k::text || '-' || g::text FROM generate_series(0, :batch::int - 1) AS g)) AS priors,
        pg_current_xact_id()::text AS xact
      FROM locked l \gset w_
/* postTransactions (batched) */
      WITH locked AS (
        SELECT * FROM unnest(:w_ids::bigint[], :w_users::text[], :w_balances::bigint[], :w_sequences::bigint[])
          AS l(id, user_id, balance, last_sequence)
      ), transfers AS (
        SELECT (t.n - 1)::int AS g, t.id AS tx_id, :k::text || '-' || (t.n - 1)::text AS key,
          (:first::bigint + (t.n - 1) * :spread::bigint)::text AS user_id, :amount::bigint AS amount, :delta::bigint AS delta
        FROM unnest(:w_txids::bigint[]) WITH ORDINALITY AS t(id, n)
      ), applied AS (
        SELECT tr.*, l.id AS wallet_id, l.balance AS balance_before, l.last_sequence AS sequence_before,
          l.last_sequence + row_number() OVER (PARTITION BY l.id ORDER BY tr.g) AS sequence,
          l.balance + (sum(tr.delta) OVER (PARTITION BY l.id ORDER BY tr.g))::bigint AS balance_after
        FROM transfers tr JOIN locked l ON l.user_id = tr.user_id
      ), tx AS (
        INSERT INTO transactions (id, kind, client_id, idempotency_key, user_id, asset_code, amount, paid_amount, reference, metadata,
          reverses_id, hold_id)
        SELECT a.tx_id, :kind::transaction_kind, :cid, a.key, a.user_id, :asset, a.amount, a.amount, NULL, NULL, NULL, NULL
        FROM applied a ORDER BY a.g
        RETURNING id, created_at
      ), entries AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after, paid_after)
        SELECT e.tx_id, e.wallet_id, e.account_kind, e.user_id, :asset, :kind::transaction_kind, e.direction, e.amount, e.sequence, e.balance_after, e.balance_after
        FROM (
          SELECT a.g, 0 AS leg, a.tx_id, a.wallet_id, 'USER'::account_kind AS account_kind, a.user_id, :udir::entry_direction AS direction,
            a.amount, a.sequence, a.balance_after
          FROM applied a
          UNION ALL
          SELECT a.g, 1, a.tx_id, :sys::bigint, :skind::account_kind, NULL, :sdir::entry_direction, a.amount, NULL, NULL
          FROM applied a
        ) AS e
        ORDER BY e.g, e.leg
        RETURNING id, wallet_id, user_id, asset_code, sequence
      ), changed AS (
        UPDATE wallets w SET balance = f.balance, last_sequence = f.sequence, updated_at = clock_timestamp(),
          last_xact = pg_current_xact_id()::text::bigint,
          may_have_holds = w.may_have_holds AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = w.id AND h.status = 'ACTIVE')
        FROM (
          SELECT a.wallet_id, a.balance_before, a.sequence_before, a.balance_before + sum(a.delta)::bigint AS balance, max(a.sequence) AS sequence
          FROM applied a GROUP BY a.wallet_id, a.balance_before, a.sequence_before
        ) AS f
        WHERE w.id = f.wallet_id AND w.balance = f.balance_before AND w.last_sequence = f.sequence_before
        RETURNING w.id, w.updated_at
      ), outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id)
        SELECT :cid, a.key, :op, :hash, 'SUCCEEDED'::idempotency_outcome, a.tx_id FROM applied a
      ), notified AS (
        SELECT pg_notify(:channel, json_build_object('walletId', e.wallet_id::text, 'userId', e.user_id,
          'asset', e.asset_code, 'sequence', e.sequence::text, 'entryId', e.id::text)::text)
        FROM entries e WHERE e.user_id IS NOT NULL
      )
      -- Like the engine, which throws when a guarded wallet update or a transaction is missing:
      -- a division by zero aborts the pgbench transaction, and the bench counts it as an error.
      SELECT 1 / (CASE WHEN (SELECT count(*) FROM tx) = :batch::int AND (SELECT count(*) FROM notified) = :batch::int
          AND (SELECT count(*) FROM changed) = (SELECT count(DISTINCT a.wallet_id) FROM applied a) THEN 1 ELSE 0 END) AS posted;
COMMIT;
