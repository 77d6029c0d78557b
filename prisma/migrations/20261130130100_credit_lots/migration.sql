-- Credit lots (PAID/FREE origin, optional expiry), limits and freezes.
--
-- A lot's metadata is here, immutable; what is left of each live lot is kept on its wallet row
-- (wallets.lots), so that a money transaction reads it with the wallet's row lock, at the row's
-- newest version, in the same round trip. Every change of a lot is a lot_movements row of the
-- transaction that made it, so allocations are exact and a reversal restores them.
CREATE TYPE "credit_origin" AS ENUM ('PAID', 'FREE');

CREATE TABLE "credit_lots" (
    -- The id of the transaction that credited it (a backfilled lot takes a fresh id).
    "id" BIGINT NOT NULL,
    "wallet_id" BIGINT NOT NULL,
    "origin" "credit_origin" NOT NULL,
    "amount" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT "credit_lots_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "credit_lots_amount_positive" CHECK ("amount" > 0)
);
CREATE INDEX "credit_lots_wallet_idx" ON "credit_lots"("wallet_id");
ALTER TABLE "credit_lots" ADD CONSTRAINT "credit_lots_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Signed: negative draws from the lot, positive adds to it (its credit, a reversal's restore).
CREATE TABLE "lot_movements" (
    "transaction_id" BIGINT NOT NULL,
    "lot_id" BIGINT NOT NULL,
    "amount" BIGINT NOT NULL,
    CONSTRAINT "lot_movements_pkey" PRIMARY KEY ("transaction_id", "lot_id"),
    CONSTRAINT "lot_movements_amount_nonzero" CHECK ("amount" <> 0)
);
CREATE INDEX "lot_movements_lot_idx" ON "lot_movements"("lot_id");
ALTER TABLE "lot_movements" ADD CONSTRAINT "lot_movements_transaction_id_fkey" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "lot_movements" ADD CONSTRAINT "lot_movements_lot_id_fkey" FOREIGN KEY ("lot_id") REFERENCES "credit_lots"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Live lots of a wallet: [{"id","origin","remaining","expiresAt","createdAt"}], remaining > 0.
ALTER TABLE "wallets" ADD COLUMN "lots" JSONB NOT NULL DEFAULT '[]';
-- The soonest expiry among live lots (null: none expires): the reads' and the sweep's hint.
ALTER TABLE "wallets" ADD COLUMN "next_expiry" TIMESTAMPTZ(6);
CREATE INDEX "wallets_next_expiry_idx" ON "wallets"("next_expiry") WHERE "next_expiry" IS NOT NULL;
-- Per-UTC-day counters of the limits, kept under the wallet's lock; a day is its number since
-- 1970-01-01 (UTC).
ALTER TABLE "wallets" ADD COLUMN "bonus_day" INTEGER;
ALTER TABLE "wallets" ADD COLUMN "bonus_today" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "wallets" ADD COLUMN "transfer_out_day" INTEGER;
ALTER TABLE "wallets" ADD COLUMN "transfer_out_today" BIGINT NOT NULL DEFAULT 0;
-- A wallet-level freeze (a user-level one is in user_freezes).
ALTER TABLE "wallets" ADD COLUMN "frozen" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "wallets" ADD COLUMN "frozen_reason" TEXT;
ALTER TABLE "wallets" ADD COLUMN "frozen_by" TEXT;
ALTER TABLE "wallets" ADD COLUMN "frozen_at" TIMESTAMPTZ(6);
-- A mirror of the user-level freeze on each of the user's wallets, written under their locks, so
-- that a money transaction reads it with the wallet row at its newest version.
ALTER TABLE "wallets" ADD COLUMN "user_frozen" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "user_freezes" (
    "user_id" TEXT NOT NULL,
    "reason" TEXT,
    "frozen_by" TEXT NOT NULL,
    "frozen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "user_freezes_pkey" PRIMARY KEY ("user_id")
);
ALTER TABLE "user_freezes" ADD CONSTRAINT "user_freezes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The PAID part of amount; freeAmount is amount - paid_amount.
ALTER TABLE "transactions" ADD COLUMN "paid_amount" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_paid_amount_range" CHECK ("paid_amount" >= 0 AND "paid_amount" <= "amount");
-- The wallet's PAID part right after a user entry (free is balance_after - paid_after).
ALTER TABLE "ledger_entries" ADD COLUMN "paid_after" BIGINT;
-- The lots a hold reserved: [{"lotId","amount"}].
ALTER TABLE "holds" ADD COLUMN "reserved_lots" JSONB NOT NULL DEFAULT '[]';

ALTER TABLE "assets" ADD COLUMN "balance_max" BIGINT;
ALTER TABLE "assets" ADD COLUMN "daily_bonus_max" BIGINT;
ALTER TABLE "assets" ADD COLUMN "daily_transfer_out_max" BIGINT;

INSERT INTO "wallets" ("account_kind", "asset_code")
SELECT 'BREAKAGE', "code" FROM "assets" ON CONFLICT DO NOTHING;

-- Wallets from before lots: one backfilled lot per origin, PAID up to what topups brought in.
WITH w AS (
    SELECT w.id, w.balance, w.created_at,
        LEAST(w.balance, COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.user_id = w.user_id AND t.asset_code = w.asset_code AND t.kind = 'TOPUP'), 0)) AS paid
    FROM wallets w WHERE w.account_kind = 'USER' AND w.balance > 0
), parts AS (
    SELECT id AS wallet_id, 'PAID'::credit_origin AS origin, paid AS amount, created_at FROM w WHERE paid > 0
    UNION ALL SELECT id, 'FREE'::credit_origin, balance - paid, created_at FROM w WHERE balance - paid > 0
), lots AS (
    INSERT INTO credit_lots (id, wallet_id, origin, amount, created_at)
    SELECT nextval('transactions_id_seq'), wallet_id, origin, amount, created_at FROM parts
    RETURNING id, wallet_id, origin, amount, created_at
)
UPDATE wallets SET lots = agg.lots
FROM (SELECT wallet_id, jsonb_agg(jsonb_build_object('id', id::text, 'origin', origin::text, 'remaining', amount::text, 'expiresAt', NULL,
        'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) ORDER BY origin DESC) AS lots
      FROM lots GROUP BY wallet_id) AS agg
WHERE wallets.id = agg.wallet_id;
UPDATE transactions SET paid_amount = amount WHERE kind = 'TOPUP';
