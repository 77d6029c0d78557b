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
  /** Verified bearer tokens remembered per process, and for how long at most (never past exp). */
  verifiedTokenCacheMax: 10_000,
  verifiedTokenCacheMs: 60_000,
  /**
   * /readyz reuses one answer for this long: probes in bulk must not each cost a database round
   * trip, and a second is still fresh enough for any orchestrator.
   */
  readinessCacheMs: 1_000,
  /** The largest value a BIGINT column holds; amounts and balances never exceed it. */
  amountMax: 9223372036854775807n,
  /**
   * Holds: a hold without expiresAt lives this long, so that a reservation nobody captures or
   * releases gives its funds back by itself; an explicit expiresAt may be at most the horizon away.
   */
  holdLifetimeDefaultMs: 24 * 60 * 60 * 1000,
  holdExpiryHorizonMaxMs: 30 * 24 * 60 * 60 * 1000,
  /** The expiry sweep marks at most this many holds per statement, and runs at most this many statements per pass. */
  holdSweepBatchSize: 500,
  holdSweepBatchesPerPassMax: 20,

  // GraphQL request hardening: the same numbers apply over HTTP and over websockets
  // (src/shared/graphql-limits.ts). They are set well above what any legitimate client needs.
  /** The largest HTTP request body /graphql accepts (express.json `limit`); larger answers 413. */
  requestBodyBytesMax: 64 * 1024,
  /** Lexical tokens in one document; the parser stops early on anything larger. */
  queryTokensMax: 2000,
  /** Nesting of selection sets, counting the root field as 1 (fragments are followed). */
  queryDepthMax: 10,
  /** Aliased fields in one operation: aliases are the way to repeat an expensive field. */
  queryAliasesMax: 20,
  /**
   * The estimated cost of one operation: every field costs 1, and a field with a `first`
   * argument multiplies what it selects by that page size (capped at ledgerPageSizeMax, as the
   * server caps it). A full ledger page of 500 entries with their transactions and postings
   * (about 15 fields an entry) fits; the same page asking 40 or more fields an entry does not.
   */
  queryCostMax: 20_000,

  /**
   * The websocket close code for a failed or expired credential. graphql-ws's client treats 4403
   * as retryable, so a client whose connectionParams mint a fresh token reconnects by itself.
   */
  wsCloseForbidden: 4403,
  /** Node's setTimeout cannot wait longer than 2^31-1 ms; longer token lifetimes are re-armed. */
  timerDelayMsMax: 2_147_483_647,
  /** A token's sub claim is a userId or a client id. */
  tokenSubjectLengthMax: 128,

  // Live balance subscriptions (src/modules/subscriptions). The WS_* settings in config.ts
  // override the first four per process; these are their defaults.
  /** Open websockets per gateway process; an upgrade past it is answered 503. */
  websocketsMax: 10_000,
  /** Operations open at once on one websocket; the next one is refused with RATE_LIMITED. */
  subscriptionsPerSocketMax: 20,
  /**
   * Balance changes one subscription may have committed but not yet handed to its socket. A
   * consumer that falls this far behind is ended with RATE_LIMITED (reason
   * SUBSCRIPTION_BUFFER_FULL) and resumes with afterSequence; it cannot hold memory hostage.
   */
  subscriptionBufferMax: 200,
  /** How often the server pings each websocket; a socket that has not answered by the next ping is dropped. */
  websocketKeepAliveMs: 12_000,
  /** A websocket must send connection_init (with its credential) within this time. */
  websocketInitTimeoutMs: 3_000,
  /** The largest message a client may send over a websocket (the same bound as an HTTP body). */
  websocketMessageBytesMax: 64 * 1024,
  /** Distinct subscription documents whose parsed form is shared between the sockets sending them. */
  websocketDocumentCacheMax: 500,
  /** On shutdown, sockets get this long to answer the 1001 close before they are cut. */
  websocketShutdownGraceMs: 2_000,
  /** Ledger entries read per statement when a subscription replays or catches up. */
  subscriptionReadPageSize: 100,
  /**
   * Connections of the pool that subscription reads use, apart from the money path's pool, so
   * that deliveries never queue behind waiting money transactions (SUBSCRIPTION_DB_POOL_MAX).
   */
  subscriptionReadPoolMax: 4,
  /** The LISTEN connection reconnects after a loss with a backoff growing between these bounds. */
  walletEventsReconnectMinMs: 100,
  walletEventsReconnectMaxMs: 5_000,
  /** How often the idle LISTEN connection is probed (a half-open TCP link is otherwise silent). */
  walletEventsProbeIntervalMs: 10_000,
  walletEventsProbeTimeoutMs: 5_000,
} as const;
