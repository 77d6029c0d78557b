-- Links captures to their holds as tightly as reversals are linked to their originals.
-- A hold is captured at most once: the unique index is the final guard against a second CAPTURE
-- transaction for one hold, and it lets a hold find its capture without scanning transactions.
CREATE UNIQUE INDEX "transactions_hold_id_key" ON "transactions"("hold_id");
-- Only a CAPTURE carries a hold, and every CAPTURE carries one.
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_capture_link" CHECK (("kind" = 'CAPTURE') = ("hold_id" IS NOT NULL));
