-- A wallet created while its user's user-level status changes (setWalletStatus without asset)
-- reads that status as it is once both have committed. Before, createWallets computed user_frozen
-- from the insert's snapshot, and the status change mirrored user_frozen only onto the wallets it
-- could see: a freeze racing a first credit left the new wallet ACTIVE (17 of 20 tries in the
-- review), an unfreeze left it FROZEN.
--
-- The two now meet on the users row. The status change locks it FOR UPDATE before it writes
-- user_freezes and mirrors (wallet-status.store lockUser). This trigger, before a wallet is
-- inserted, makes sure the users row exists (waiting for a user row another transaction is
-- inserting), takes FOR KEY SHARE on it (which conflicts with FOR UPDATE only), and only then
-- reads user_freezes, in a statement of its own: under READ COMMITTED that statement's snapshot
-- is taken after the lock is granted, so it sees a status change that held the lock. A status
-- change that comes second waits for the key share, that is for the wallet's transaction to
-- commit, and its mirror then sees the wallet.
CREATE FUNCTION "wallets_read_user_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."account_kind" <> 'USER' THEN
    RETURN NEW;
  END IF;
  INSERT INTO "users" ("id") VALUES (NEW."user_id") ON CONFLICT ("id") DO NOTHING;
  PERFORM 1 FROM "users" WHERE "id" = NEW."user_id" FOR KEY SHARE;
  NEW."user_frozen" := EXISTS (SELECT 1 FROM "user_freezes" f WHERE f."user_id" = NEW."user_id");
  RETURN NEW;
END
$$;

CREATE TRIGGER "wallets_read_user_status" BEFORE INSERT ON "wallets"
  FOR EACH ROW EXECUTE FUNCTION "wallets_read_user_status"();
