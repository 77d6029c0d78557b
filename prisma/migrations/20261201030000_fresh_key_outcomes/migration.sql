-- The recorded outcomes of idempotency keys, read with a snapshot of the function's own.
--
-- Why a function: at READ COMMITTED a statement reads with the snapshot taken when it started,
-- and the money engine's lock statement may wait for many row locks. A key that another
-- transaction recorded and committed during that wait is invisible to the statement's snapshot.
-- A VOLATILE function takes a fresh snapshot for each query it runs, so the lock statement calls
-- this one once every lock is held (after it has read the whole locked set) and sees every key
-- committed up to then: the keys are read in the lock's round trip instead of one of their own.
CREATE FUNCTION "key_outcomes_now"("clients" TEXT[], "keys" TEXT[]) RETURNS JSON
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN (
    SELECT json_agg(json_build_object('client_id', i.client_id, 'key', i.key, 'operation', i.operation,
      'request_hash', i.request_hash, 'outcome', i.outcome, 'error_code', i.error_code, 'error_detail', i.error_detail,
      'transaction_id', i.transaction_id::text, 'hold_id', i.hold_id::text, 'changeset_id', i.changeset_id::text))
    FROM idempotency_keys i JOIN unnest("clients", "keys") AS k(client_id, key)
      ON i.client_id = k.client_id AND i.key = k.key);
END
$$;
