-- Bench setup: one real TOPUP per user (treasury -> user), set-based but exactly the rows the
-- gateway writes for a topup: the transaction, the user's CREDIT entry (next sequence, running
-- balance), the treasury's DEBIT entry (no sequence, no running balance), the key's SUCCEEDED
-- outcome, and the wallet's new balance and last_sequence. Each user appears at most once.
-- Since credit lots, each funded wallet also gets one PAID lot holding its funding, recorded like a
-- lot backfilled by the credit_lots migration (its own id, no movements), and the transaction's
-- and entry's PAID split.
-- $1 user ids, $2 amounts, $3 request hashes, $4 asset code, $5 client id, $6 treasury account id.
WITH input AS (
  SELECT u.user_id, u.amount, u.request_hash
  FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(user_id, amount, request_hash)
), tx AS (
  INSERT INTO transactions (kind, client_id, idempotency_key, user_id, asset_code, amount, paid_amount)
  SELECT 'TOPUP', $5, 'bench-fund-' || i.user_id, i.user_id, $4, i.amount, i.amount FROM input i
  RETURNING id, user_id, amount, idempotency_key, created_at
), user_entries AS (
  INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after, paid_after, created_at)
  SELECT tx.id, w.id, 'USER', tx.user_id, $4, 'TOPUP', 'CREDIT', tx.amount, w.last_sequence + 1, w.balance + tx.amount, w.balance + tx.amount, tx.created_at
  FROM tx JOIN wallets w ON w.user_id = tx.user_id AND w.asset_code = $4
), system_entries AS (
  INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, created_at)
  SELECT tx.id, $6::bigint, 'TREASURY', NULL, $4, 'TOPUP', 'DEBIT', tx.amount, tx.created_at FROM tx
), outcomes AS (
  INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id)
  SELECT $5, tx.idempotency_key, 'topup', i.request_hash, 'SUCCEEDED', tx.id
  FROM tx JOIN input i ON i.user_id = tx.user_id
), lots AS (
  INSERT INTO credit_lots (id, wallet_id, origin, amount, created_at)
  SELECT nextval('transactions_id_seq'), w.id, 'PAID', tx.amount, tx.created_at
  FROM tx JOIN wallets w ON w.user_id = tx.user_id AND w.asset_code = $4
  RETURNING id, wallet_id, amount, created_at
)
UPDATE wallets w SET balance = w.balance + tx.amount, last_sequence = w.last_sequence + 1, updated_at = now(),
  lots = jsonb_build_array(jsonb_build_object('id', lots.id::text, 'origin', 'PAID', 'remaining', tx.amount::text, 'expiresAt', NULL,
    'createdAt', to_char(lots.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
FROM tx, lots WHERE w.user_id = tx.user_id AND w.asset_code = $4 AND lots.wallet_id = w.id
