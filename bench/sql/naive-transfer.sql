-- pgbench ceiling (b), "naive": the textbook sequence a straightforward implementation runs,
-- one round trip per step while the wallet row is locked:
--   BEGIN; SELECT ... FOR UPDATE; INSERT transaction; INSERT entry; INSERT entry; UPDATE wallet; COMMIT.
-- The transaction's idempotency outcome rides in the same statement as the transaction insert
-- (no extra round trip), because the ledger's invariants require one and the gateway records one
-- too; everything else is the plain textbook. Run with -M prepared.
--
-- Variables: as in same-sql-transfer.sql.
\set uid :ubase + (:client_id * :stride + random(0, :stride - 1)) * :spread
\set k random(1, 9000000000000000000)
BEGIN;
SELECT id, balance, last_sequence FROM wallets WHERE user_id = :uid AND asset_code = :asset FOR UPDATE \gset w_
\set balance_after :w_balance + :delta
\set seq :w_last_sequence + 1
WITH tx AS (
  INSERT INTO transactions (kind, client_id, idempotency_key, user_id, asset_code, amount)
  VALUES (:kind::transaction_kind, :cid, :k, :uid, :asset, :amount::bigint)
  RETURNING id
), outcome AS (
  INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id)
  SELECT :cid, :k, :op, :hash, 'SUCCEEDED'::idempotency_outcome, tx.id FROM tx
)
SELECT id FROM tx \gset t_
INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after)
VALUES (:t_id::bigint, :w_id::bigint, 'USER', :uid, :asset, :kind::transaction_kind, :udir::entry_direction, :amount::bigint, :seq::bigint, :balance_after::bigint);
INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount)
VALUES (:t_id::bigint, :sys::bigint, :skind::account_kind, NULL, :asset, :kind::transaction_kind, :sdir::entry_direction, :amount::bigint);
UPDATE wallets SET balance = :balance_after::bigint, last_sequence = :seq::bigint, updated_at = clock_timestamp() WHERE id = :w_id::bigint;
COMMIT;
