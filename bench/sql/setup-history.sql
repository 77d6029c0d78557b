-- Bench setup: a long history on one wallet for the ledger read tests: $4 TOPUPs of $5 each,
-- one millisecond apart and ending now, each with both entries (sequences continuing the
-- wallet's, running balances), its key's outcome, and the wallet's final balance and sequence.
-- Entry ids grow with the sequence, as they do when the gateway posts them one by one.
-- Since credit lots the history is one PAID lot (a backfilled one: its own id, no movements):
-- 100,000 lots on one wallet row would measure the bench's setup, not the ledger reads.
-- $1 user id, $2 asset code, $3 client id, $4 count, $5 amount, $6 request hash, $7 treasury account id.
WITH w AS (
  SELECT id, balance, last_sequence FROM wallets WHERE user_id = $1 AND asset_code = $2
), tx AS (
  INSERT INTO transactions (kind, client_id, idempotency_key, user_id, asset_code, amount, paid_amount, created_at)
  SELECT 'TOPUP', $3, 'bench-history-' || g, $1, $2, $5::bigint, $5::bigint, clock_timestamp() - ($4::int - g) * interval '1 millisecond'
  FROM generate_series(1, $4::int) AS g
  ORDER BY g
  RETURNING id, idempotency_key, created_at
), numbered AS (
  SELECT id, created_at, substr(idempotency_key, length('bench-history-') + 1)::bigint AS g FROM tx
), user_entries AS (
  INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, sequence, balance_after, paid_after, created_at)
  SELECT n.id, w.id, 'USER', $1, $2, 'TOPUP', 'CREDIT', $5::bigint, w.last_sequence + n.g, w.balance + n.g * $5::bigint, w.balance + n.g * $5::bigint, n.created_at
  FROM numbered n CROSS JOIN w
  ORDER BY n.g
), system_entries AS (
  INSERT INTO ledger_entries (transaction_id, wallet_id, account_kind, user_id, asset_code, transaction_kind, direction, amount, created_at)
  SELECT n.id, $7::bigint, 'TREASURY', NULL, $2, 'TOPUP', 'DEBIT', $5::bigint, n.created_at FROM numbered n ORDER BY n.g
), outcomes AS (
  INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, transaction_id)
  SELECT $3, 'bench-history-' || n.g, 'topup', $6, 'SUCCEEDED', n.id FROM numbered n
), lot AS (
  INSERT INTO credit_lots (id, wallet_id, origin, amount, created_at)
  SELECT nextval('transactions_id_seq'), w.id, 'PAID', w.balance + $4::int * $5::bigint, now() FROM w
  RETURNING id, amount, created_at
)
UPDATE wallets SET balance = balance + $4::int * $5::bigint, last_sequence = last_sequence + $4::int, updated_at = now(),
  lots = (SELECT jsonb_build_array(jsonb_build_object('id', lot.id::text, 'origin', 'PAID', 'remaining', lot.amount::text, 'expiresAt', NULL,
    'createdAt', to_char(lot.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) FROM lot)
WHERE user_id = $1 AND asset_code = $2
