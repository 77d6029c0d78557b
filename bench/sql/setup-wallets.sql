-- Bench setup: creates the users and their (empty) wallets of one asset, as the gateway's own
-- createWallet statement does on a first credit. $1 user ids, $2 asset code.
WITH new_users AS (
  INSERT INTO users (id) SELECT u FROM unnest($1::text[]) AS u ON CONFLICT (id) DO NOTHING
)
INSERT INTO wallets (account_kind, user_id, asset_code)
SELECT 'USER', u, $2 FROM unnest($1::text[]) AS u
ON CONFLICT (user_id, asset_code) DO NOTHING
