-- A per-wallet hint that lets the money path skip summing holds for wallets that have none.
-- It may be stale-true (a wallet whose holds all ended) but never stale-false: a hold is only
-- created under the wallet's row lock, in the same transaction that sets the hint, and the hint is
-- cleared only under that lock, by a posting that saw no ACTIVE hold on the wallet.
ALTER TABLE "wallets" ADD COLUMN "may_have_holds" BOOLEAN NOT NULL DEFAULT false;
UPDATE "wallets" w SET "may_have_holds" = true
WHERE EXISTS (SELECT 1 FROM "holds" h WHERE h."wallet_id" = w."id" AND h."status" = 'ACTIVE');
