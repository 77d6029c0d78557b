-- v3 client identity: the numeric ids of transactions, holds, ledger entries, events and webhooks
-- are Node ids, which the contract wants unique across types. Each table counted on its own, so
-- "7" could be a transaction and a hold at once. From here on every new row of the five tables
-- (and every credit lot, which already did) draws its id from one sequence, transactions_id_seq,
-- started above every id in use: a number handed out after this migration names one object.
-- Ids handed out before keep their values (Query.node resolves a shared one by precedence, see
-- docs/api.md). The per-table sequences of holds and ledger entries stay, unused; the identities of events and
-- webhooks are dropped (an identity column cannot draw from another sequence).
SELECT setval('transactions_id_seq', GREATEST(
  (SELECT last_value FROM transactions_id_seq),
  COALESCE((SELECT max(id) FROM transactions), 0),
  COALESCE((SELECT max(id) FROM holds), 0),
  COALESCE((SELECT max(id) FROM ledger_entries), 0),
  COALESCE((SELECT max(id) FROM events), 0),
  COALESCE((SELECT max(id) FROM webhooks), 0),
  COALESCE((SELECT max(id) FROM credit_lots), 0),
  1));

ALTER TABLE "holds" ALTER COLUMN "id" SET DEFAULT nextval('transactions_id_seq');
ALTER TABLE "ledger_entries" ALTER COLUMN "id" SET DEFAULT nextval('transactions_id_seq');
-- events and webhooks had identity columns: an identity cannot take another sequence.
ALTER TABLE "events" ALTER COLUMN "id" DROP IDENTITY;
ALTER TABLE "events" ALTER COLUMN "id" SET DEFAULT nextval('transactions_id_seq');
ALTER TABLE "webhooks" ALTER COLUMN "id" DROP IDENTITY;
ALTER TABLE "webhooks" ALTER COLUMN "id" SET DEFAULT nextval('transactions_id_seq');
