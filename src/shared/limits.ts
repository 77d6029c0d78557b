/**
 * Every limit the gateway enforces, in one place. Limits exist so that no client, by accident or
 * on purpose, can make the service do unbounded work or store unbounded data.
 */
export const limits = {
  /** A userId is the platform's own id for a player: 1..128 characters (contract). */
  userIdLengthMax: 128,
  /** Idempotency keys: 1..255 characters (contract). */
  idempotencyKeyLengthMax: 255,
  /** Free-text references (order ids, item ids, reasons). */
  referenceLengthMax: 512,
  /** Reversal reasons. */
  reasonLengthMax: 512,
  /** Caller metadata is stored as JSONB; bounded in serialised size and nesting depth. */
  metadataBytesMax: 8 * 1024,
  metadataDepthMax: 8,
  /** Ledger pages: the default and the cap for `first` (contract: at most 500). */
  ledgerPageSizeDefault: 50,
  ledgerPageSizeMax: 500,
  /** Asset codes: upper-case identifiers, like GOLD_COINS. */
  assetCodeLengthMax: 64,
  assetNameLengthMax: 128,
  assetDecimalsMax: 18,
  /** Ids of transactions and holds are positive 64-bit integers written in decimal. */
  entityIdLengthMax: 19,
  /** Cursors are short opaque strings; anything longer is malformed. */
  cursorLengthMax: 64,
  /**
   * A money transaction that fails with a serialization failure, a deadlock or a lost race on an
   * idempotency key is retried this many times in all before the error reaches the client.
   */
  transactionAttemptsMax: 5,
  transactionRetryBackoffMs: 5,
  /** The largest value a BIGINT column holds; amounts and balances never exceed it. */
  amountMax: 9223372036854775807n,
} as const;
