-- Initial schema of the wallet gateway, written by hand to match prisma/schema.prisma.
-- Money is BIGINT minor units everywhere. User wallets may never go below zero; system
-- accounts (treasury, bonus pool, revenue) are not serialised per operation: their balance
-- is derived from their entries, so they carry no running balance or per-account sequence.

CREATE TYPE "account_kind" AS ENUM ('USER', 'TREASURY', 'BONUS_POOL', 'REVENUE');
CREATE TYPE "transaction_kind" AS ENUM ('TOPUP', 'BONUS', 'SPEND', 'CAPTURE', 'REVERSAL');
CREATE TYPE "entry_direction" AS ENUM ('DEBIT', 'CREDIT');
CREATE TYPE "hold_status" AS ENUM ('ACTIVE', 'CAPTURED', 'RELEASED', 'EXPIRED');
CREATE TYPE "idempotency_outcome" AS ENUM ('SUCCEEDED', 'REFUSED');

CREATE TABLE "assets" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "decimals" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "assets_pkey" PRIMARY KEY ("code"),
    CONSTRAINT "assets_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    CONSTRAINT "assets_decimals_range" CHECK ("decimals" BETWEEN 0 AND 18)
);

CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_id_length" CHECK (char_length("id") BETWEEN 1 AND 128)
);

CREATE TABLE "wallets" (
    "id" BIGSERIAL NOT NULL,
    "account_kind" "account_kind" NOT NULL,
    "user_id" TEXT,
    "asset_code" TEXT NOT NULL,
    "balance" BIGINT NOT NULL DEFAULT 0,
    "last_sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "wallets_pkey" PRIMARY KEY ("id"),
    -- A user wallet belongs to a user; a system account belongs to no user.
    CONSTRAINT "wallets_owner" CHECK (("account_kind" = 'USER') = ("user_id" IS NOT NULL)),
    -- The promise of the service: a player's balance never goes below zero.
    CONSTRAINT "wallets_user_balance_nonnegative" CHECK ("account_kind" <> 'USER' OR "balance" >= 0),
    CONSTRAINT "wallets_last_sequence_nonnegative" CHECK ("last_sequence" >= 0)
);
CREATE UNIQUE INDEX "wallets_user_asset_key" ON "wallets"("user_id", "asset_code");
-- One account of each system kind per asset.
CREATE UNIQUE INDEX "wallets_system_account_key" ON "wallets"("asset_code", "account_kind") WHERE "account_kind" <> 'USER';
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "holds" (
    "id" BIGSERIAL NOT NULL,
    "client_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "wallet_id" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "asset_code" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "status" "hold_status" NOT NULL DEFAULT 'ACTIVE',
    "reference" TEXT,
    "expires_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "resolved_at" TIMESTAMPTZ(6),
    CONSTRAINT "holds_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "holds_amount_positive" CHECK ("amount" > 0),
    CONSTRAINT "holds_resolution" CHECK (("status" = 'ACTIVE') = ("resolved_at" IS NULL))
);
CREATE UNIQUE INDEX "holds_client_key_key" ON "holds"("client_id", "idempotency_key");
-- Only active holds are summed into a wallet's reserved amount.
CREATE INDEX "holds_wallet_active_idx" ON "holds"("wallet_id") WHERE "status" = 'ACTIVE';
CREATE INDEX "holds_active_expiry_idx" ON "holds"("expires_at") WHERE "status" = 'ACTIVE' AND "expires_at" IS NOT NULL;
ALTER TABLE "holds" ADD CONSTRAINT "holds_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "holds" ADD CONSTRAINT "holds_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "transactions" (
    "id" BIGSERIAL NOT NULL,
    "kind" "transaction_kind" NOT NULL,
    "client_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "asset_code" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "reference" TEXT,
    "metadata" JSONB,
    "reverses_id" BIGINT,
    "hold_id" BIGINT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "transactions_amount_positive" CHECK ("amount" > 0),
    CONSTRAINT "transactions_key_length" CHECK (char_length("idempotency_key") BETWEEN 1 AND 255),
    CONSTRAINT "transactions_reversal_link" CHECK (("kind" = 'REVERSAL') = ("reverses_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "transactions_client_key_key" ON "transactions"("client_id", "idempotency_key");
-- A transaction is reversed at most once.
CREATE UNIQUE INDEX "transactions_reverses_id_key" ON "transactions"("reverses_id");
CREATE INDEX "transactions_user_reference_idx" ON "transactions"("user_id", "reference");
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_reverses_id_fkey" FOREIGN KEY ("reverses_id") REFERENCES "transactions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_hold_id_fkey" FOREIGN KEY ("hold_id") REFERENCES "holds"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "transaction_id" BIGINT NOT NULL,
    "wallet_id" BIGINT NOT NULL,
    "account_kind" "account_kind" NOT NULL,
    "user_id" TEXT,
    "asset_code" TEXT NOT NULL,
    "transaction_kind" "transaction_kind" NOT NULL,
    "direction" "entry_direction" NOT NULL,
    "amount" BIGINT NOT NULL,
    "sequence" BIGINT,
    "balance_after" BIGINT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ledger_entries_amount_positive" CHECK ("amount" > 0),
    -- User postings are sequenced and carry the running balance; system postings carry neither.
    CONSTRAINT "ledger_entries_user_sequenced" CHECK (
        ("account_kind" = 'USER') = ("sequence" IS NOT NULL AND "balance_after" IS NOT NULL AND "user_id" IS NOT NULL)
    ),
    CONSTRAINT "ledger_entries_balance_after_nonnegative" CHECK ("balance_after" IS NULL OR "balance_after" >= 0)
);
CREATE UNIQUE INDEX "ledger_entries_wallet_sequence_key" ON "ledger_entries"("wallet_id", "sequence");
CREATE INDEX "ledger_entries_wallet_id_idx" ON "ledger_entries"("wallet_id", "id");
CREATE INDEX "ledger_entries_user_id_idx" ON "ledger_entries"("user_id", "id");
CREATE INDEX "ledger_entries_wallet_created_idx" ON "ledger_entries"("wallet_id", "created_at");
CREATE INDEX "ledger_entries_transaction_idx" ON "ledger_entries"("transaction_id");
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_id_fkey" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "idempotency_keys" (
    "client_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "outcome" "idempotency_outcome" NOT NULL,
    "error_code" TEXT,
    "transaction_id" BIGINT,
    "hold_id" BIGINT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("client_id", "key"),
    CONSTRAINT "idempotency_keys_key_length" CHECK (char_length("key") BETWEEN 1 AND 255),
    -- A key has exactly one outcome: a result, or a recorded business refusal.
    CONSTRAINT "idempotency_keys_outcome" CHECK (("outcome" = 'REFUSED') = ("error_code" IS NOT NULL))
);
