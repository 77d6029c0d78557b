-- pgbench ceiling (a), "same SQL": exactly the statements the gateway sends for one topup or
-- spend, in the same order, with the same text (copied from walletStore.lockWalletAndReadKey and
-- ledgerStore.postTransfer, without their -- comments). The bench's wire census compares them
-- with what the gateway really sends and prints a DRIFT banner when they differ: after changing
-- the money path's SQL, change this script the same way. Run with -M prepared, because the
-- gateway uses named prepared statements too.
--
-- Variables from the bench (-D): kind, udir, sdir, skind, op, cid, asset, hash, sys (system
-- account id), channel (the gateway's NOTIFY channel), amount, delta (+amount for a credit, -amount for a debit), and the wallet choice:
-- ubase, stride, spread (distinct wallets: every client owns its own slice of the user pool;
-- one hot wallet: spread=0). The key is random per transaction.
--
-- :no_reference, :no_metadata, :no_reverses_id and :no_hold_id are deliberately never defined:
-- in prepared mode pgbench sends an undefined variable as SQL NULL (checked with pgbench 15),
-- which is what the gateway sends for them.
\set uid :ubase + (:client_id * :stride + random(0, :stride - 1)) * :spread
\set k random(1, 9000000000000000000)
BEGIN;
/* lockWallet */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, w.may_have_holds,
        i.operation AS prior_operation, i.request_hash AS prior_request_hash, i.outcome::text AS prior_outcome,
        i.error_code AS prior_error_code, i.transaction_id AS prior_transaction_id, i.hold_id AS prior_hold_id
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
        SELECT wl.id, wl.user_id, wl.asset_code, wl.balance, wl.last_sequence, wl.updated_at, wl.may_have_holds
        FROM wallets wl
        WHERE wl.user_id = :uid AND wl.asset_code = :asset
        FOR UPDATE OF wl
      ) AS w ON true
      LEFT JOIN idempotency_keys i ON i.client_id = :cid AND i.key = :k \gset w_
-- lockedWalletHeld is not sent: the bench's wallets have no holds, so their may_have_holds hint
-- is false and the gateway skips the sum, exactly as here.
\set balance_after :w_balance + :delta
\set seq :w_last_sequence + 1
/* postTransfer */
      WITH tx AS (
        INSERT INTO transactions (kind, client_id, idempotency_key, user_id, asset_code, amount, reference, metadata, reverses_id, hold_id)
        VALUES (:kind::transaction_kind, :cid, :k, :uid, :asset,
                :amount::bigint, :no_reference::text, :no_metadata::jsonb, :no_reverses_id::bigint, :no_hold_id::bigint)
        RETURNING id, created_at
      ), user_entry AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after)
        SELECT tx.id, :w_id::bigint, 'USER'::account_kind, :uid, :asset, :kind::transaction_kind,
               :udir::entry_direction, :amount::bigint, :seq::bigint, :balance_after::bigint
        FROM tx
        RETURNING id
      ), system_entry AS (
        INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount)
        SELECT tx.id, :sys::bigint, :skind::account_kind, NULL, :asset, :kind::transaction_kind,
               :sdir::entry_direction, :amount::bigint
        FROM tx
      ), wallet AS (
        UPDATE wallets SET balance = :balance_after::bigint, last_sequence = :seq::bigint, updated_at = clock_timestamp(),
          may_have_holds = wallets.may_have_holds
            AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = :w_id::bigint AND h.status = 'ACTIVE')
        WHERE id = :w_id::bigint AND balance = :w_balance::bigint AND last_sequence = :w_last_sequence::bigint
        RETURNING updated_at
      ), outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id, hold_id)
        SELECT :cid, :k, :op, :hash, 'SUCCEEDED'::idempotency_outcome, tx.id, :no_hold_id::bigint
        FROM tx
      )
      SELECT tx.id::text AS transaction_id, tx.created_at AS transaction_created_at, user_entry.id::text AS entry_id,
        wallet.updated_at AS wallet_updated_at,
        pg_notify(:channel, json_build_object('walletId', :w_id::text, 'userId', :uid::text,
          'asset', :asset::text, 'sequence', :seq::text, 'entryId', user_entry.id::text)::text)::text AS notified
      FROM tx CROSS JOIN user_entry LEFT JOIN wallet ON true;
COMMIT;
