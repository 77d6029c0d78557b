-- The money engine: transactions of any number of legs (player transfers), atomic changesets
-- (several transactions under one idempotency key) and refusals that carry details.

-- A TRANSFER names its recipient; userId stays the sender.
ALTER TABLE "transactions" ADD COLUMN "counterparty_user_id" TEXT;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_transfer_counterparty"
    CHECK (("kind" = 'TRANSFER') = ("counterparty_user_id" IS NOT NULL));
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_transfer_not_self"
    CHECK ("counterparty_user_id" IS NULL OR "counterparty_user_id" <> "user_id");

-- The legs of one changeset share its id and its idempotency key; leg_index tells them apart
-- (0 for every transaction outside a changeset).
CREATE SEQUENCE "changeset_id_seq" AS BIGINT;
ALTER TABLE "transactions" ADD COLUMN "changeset_id" BIGINT;
ALTER TABLE "transactions" ADD COLUMN "leg_index" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_leg_index_range"
    CHECK ("leg_index" >= 0 AND ("changeset_id" IS NOT NULL OR "leg_index" = 0));
DROP INDEX "transactions_client_key_key";
CREATE UNIQUE INDEX "transactions_client_key_key" ON "transactions"("client_id", "idempotency_key", "leg_index");
CREATE INDEX "transactions_changeset_idx" ON "transactions"("changeset_id") WHERE "changeset_id" IS NOT NULL;
-- A player reads the transfers it received as well as those it sent.
CREATE INDEX "transactions_counterparty_idx" ON "transactions"("counterparty_user_id") WHERE "counterparty_user_id" IS NOT NULL;

-- A key's outcome may be a changeset, and a refusal may carry details that a replay repeats
-- (the refused leg of a changeset, the limit that was hit).
ALTER TABLE "idempotency_keys" ADD COLUMN "changeset_id" BIGINT;
ALTER TABLE "idempotency_keys" ADD COLUMN "error_detail" JSONB;

-- The id (xid8 as a number) of the last database transaction that posted to the wallet. A money
-- transaction that holds a smaller id than that after taking its locks is retried, so that
-- transaction ids grow with each wallet's sequence (the event feed orders by them).
ALTER TABLE "wallets" ADD COLUMN "last_xact" BIGINT NOT NULL DEFAULT 0;
