/** Registered webhooks in all (limits.webhooksMax), and the failed events one lists (limits.webhookFailedEventsShownMax). */
const webhooksMax = 100;
const webhookFailedEventsShownMax = 100;

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
  /** Legs of one applyChangeset (contract: 1..20). */
  changesetLegsMax: 20,
  /** Ledger pages: the default and the cap for `first` (contract: at most 500). */
  ledgerPageSizeDefault: 50,
  ledgerPageSizeMax: 500,
  /** Ids in one Query.nodes call; the cost estimate counts each (graphql-limits.ts). */
  nodeIdsMax: 100,
  /** Asset codes: upper-case identifiers, like GOLD_COINS. */
  assetCodeLengthMax: 64,
  assetNameLengthMax: 128,
  assetDecimalsMax: 18,
  /**
   * DateTime inputs: years 1..9999, the range every store and client agrees on (PostgreSQL
   * refuses year 0 with 22008; JavaScript accepts up to year 275760).
   */
  dateTimeYearMin: 1,
  dateTimeYearMax: 9999,
  /** Ids of transactions and holds are positive 64-bit integers written in decimal. */
  entityIdLengthMax: 19,
  /** Cursors are short opaque strings; anything longer is malformed. */
  cursorLengthMax: 64,
  /**
   * A money transaction that fails with a serialization failure, a deadlock or a lost race on an
   * idempotency key is retried this many times in all before the error reaches the client.
   */
  transactionAttemptsMax: 5,
  /**
   * Group commit: operations one money transaction takes from the queue at most, and money
   * transactions in flight at once per process (the rest queue and form the next batches).
   */
  batchOperationsMax: 64,
  batchesInFlightMax: 2,
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
  /** A credit lot's expiresAt may be at most this far ahead (contract: 10 years). */
  lotExpiryHorizonMaxMs: 3653 * 24 * 60 * 60 * 1000,
  /** Wallet.expiring lists at most this many lots (contract: 20). */
  expiringLotsListedMax: 20,
  /** The expiry sweep: wallets per pass, EXPIRY transactions per wallet and decision. */
  expirySweepWalletsPerPass: 200,
  expiryPostingsPerWalletMax: 50,
  /** Freeze reasons. */
  freezeReasonLengthMax: 512,
  /** The expiry sweep marks at most this many holds per statement, and runs at most this many statements per pass. */
  holdSweepBatchSize: 500,
  holdSweepBatchesPerPassMax: 20,

  // GraphQL request hardening: the same numbers apply over HTTP and over websockets
  // (src/shared/graphql-limits.ts). They are set well above what any legitimate client needs.
  /** The largest HTTP request body /graphql accepts (express.json `limit`); larger answers 413. */
  requestBodyBytesMax: 64 * 1024,
  /**
   * Slow clients (slowloris): a request's headers must arrive within httpHeadersTimeoutMs and the
   * whole request within httpRequestTimeoutMs, or Node answers 408 and closes the connection.
   * Node's defaults are 60 s and 5 min, and it checks them only every 30 s; here every second.
   * The time to run an operation is not counted: only receiving the request.
   */
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  httpTimeoutCheckIntervalMs: 1_000,
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
   * The same estimate's limit for an admin's operation over HTTP. Admin listings are counted at
   * what they can return: `webhooks` with each one's `failedEvents` is 100 webhooks x 100 events,
   * about 30,000 for the typed client's Webhooks document (3 fields an event), which players and
   * servers never send. Admins are the operators; the limit still bounds a runaway document.
   */
  queryCostAdminMax: 50_000,
  /**
   * Items the cost estimate assumes for a list field that has no page argument (the service
   * returns such a list whole). `Transaction.entries` holds a transaction's postings: 2 today, 4
   * allowed for multi-leg transactions. `assets` and `balances` hold one item per asset: the
   * estimate assumes up to 20 assets; with more, raise it. A connection's `edges` list is the page
   * itself, already multiplied by the page size on the field that returns the connection.
   * `webhooks` and `Webhook.failedEvents` return up to their own caps (100 each, so 100 x 100
   * events in one answer): they are counted at those caps, not at the default 20.
   */
  costListItems: {
    default: 20,
    'Query.webhooks': webhooksMax,
    'Webhook.failedEvents': webhookFailedEventsShownMax,
    'Transaction.entries': 4,
    'LedgerConnection.edges': 1,
    'EventConnection.edges': 1,
  } as Readonly<Record<string, number>>,
  /**
   * Over HTTP, for a caller who is not an admin: admin-only lists answer FORBIDDEN before anything
   * is read, so they hold no item (and such a document meets FORBIDDEN, not the cost limit).
   */
  costListItemsNonAdmin: { 'Query.webhooks': 0 } as Readonly<Record<string, number>>,

  /**
   * The websocket close code for a failed or expired credential. graphql-ws's client treats 4403
   * as retryable, so a client whose connectionParams mint a fresh token reconnects by itself.
   */
  wsCloseForbidden: 4403,
  /** Node's setTimeout cannot wait longer than 2^31-1 ms; longer token lifetimes are re-armed. */
  timerDelayMsMax: 2_147_483_647,
  /**
   * The longest a bearer token may live, exp minus iat (or minus now, for a token without iat).
   * Bounds how long a leaked token works and keeps exp a real date (an exp of 1e20 made an
   * Invalid Date, and a socket's expiry timer then fired every millisecond). 30 days: the
   * development tokens' lifetime; identity providers issue tokens of minutes to hours.
   */
  tokenLifetimeMaxSeconds: 30 * 24 * 3600,
  /** How far in the future a token's iat may be (the issuer's clock ahead of ours); beyond, refused. */
  tokenIssuedAtSkewMaxSeconds: 30,
  /** A token's sub claim is a userId or a client id. */
  tokenSubjectLengthMax: 128,

  // Live balance subscriptions (src/modules/subscriptions). The WS_* settings in config.ts
  // override the first four per process; these are their defaults.
  /**
   * Authenticated websockets per gateway process; an upgrade past it is answered 503, and a
   * socket that authenticates past it is closed with 1013 (try again later).
   */
  websocketsMax: 10_000,
  /**
   * Websockets that have not yet authenticated (no connection_init yet), a budget apart from
   * websocketsMax: strangers with no credential cannot take the slots of authenticated clients.
   * An upgrade past it is answered 503, unless an idle one can be evicted
   * (websocketUnauthenticatedEvictAfterMs).
   */
  websocketsUnauthenticatedMax: 200,
  /**
   * When the unauthenticated budget is full, the next upgrade evicts the oldest socket that has
   * sent nothing (not even connection_init) for this long, closing it with 4408 as the init
   * timeout would. Honest clients send connection_init within a round trip of the upgrade, so
   * sockets held idle on purpose cannot keep an authenticated client out; to refuse a client
   * now, a flood has to renew the whole budget within this time (websocketsUnauthenticatedMax
   * upgrades per 500 ms), which is a volume the load balancer sees. Shorter than
   * websocketInitTimeoutMs, or it would never apply.
   */
  websocketUnauthenticatedEvictAfterMs: 500,
  /**
   * Authenticated websockets per credential subject (role and sub), so that one credential cannot
   * hold every slot; the socket past it is closed with 1008 (policy violation). A player's HUD
   * needs one or two; a game server may hold one per player it serves, but never more than half
   * of a process's default websocketsMax.
   */
  websocketsPerPlayerMax: 8,
  websocketsPerServerMax: 5_000,
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
  /**
   * A websocket must send connection_init (with its credential) within this time. A client sends
   * it as soon as the socket opens; the time bounds how long a socket without a credential holds
   * one of websocketsUnauthenticatedMax. Overridable with WS_INIT_TIMEOUT_MS.
   */
  websocketInitTimeoutMs: 1_500,
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
  /**
   * How far V8 lets the old generation grow past the live heap before its next full collection,
   * in percent (set at start by src/main.ts). V8's own factor goes up to 4x when allocation is
   * fast, so under load the gateway held ~100 MB of garbage on a ~45 MB live heap (RSS ~300 MB);
   * at 50% RSS stays near 200-230 MB at the same throughput (docs/performance.md). A soft factor,
   * not a cap: the heap still grows with the live set (10,000 websockets need ~150 MB).
   */
  heapGrowthPercent: 50,
  // The event feed and webhooks (src/modules/events, src/modules/webhooks; docs/events.md).
  /** Feed pages: the default and the cap for `first` (contract: at most 500). */
  eventsPageSizeDefault: 100,
  eventsPageSizeMax: 500,
  /** Webhook URLs; a longer one is refused with BAD_USER_INPUT. */
  webhookUrlLengthMax: 2048,
  /**
   * Kept-alive connections to webhook receivers: idle ones close after this (the SSRF check runs
   * again on the next connection). Up to webhookWorkerConcurrency are open to one host and port.
   */
  webhookIdleSocketMs: 5_000,
  /** Signing secrets: 32..128 characters (contract); a generated one has this many random bytes. */
  webhookSecretLengthMin: 32,
  webhookSecretLengthMax: 128,
  webhookSecretGeneratedBytes: 32,
  /** Registered webhooks in all: each costs every replica a claim per poll. */
  webhooksMax,
  /** One delivery (connect, send, answer) must finish within this time (contract: 10 s). */
  webhookDeliveryTimeoutMs: 10_000,
  /** The most of a receiver's answer body read (kept for last_error); the rest is discarded. */
  webhookResponseBytesMax: 4 * 1024,
  /** The stored text of a delivery's last error. */
  webhookErrorTextMax: 500,
  /**
   * Of a receiver's answer body, lastError keeps at most this many characters after the status
   * (control characters replaced): enough for "invalid signature" or a JSON error, not a page.
   */
  webhookErrorBodyCharsMax: 200,
  /** Events one claim of a webhook reads and delivers before it lets the webhook go. */
  webhookBatchMax: 100,
  /**
   * A claim also ends after this long (checked before each event), so that when more webhooks are
   * due than the worker has places, a long backlog takes turns with the rest instead of holding a
   * place for 100 slow answers (15 minutes at 9 s each).
   */
  webhookClaimBudgetMs: 5_000,
  /**
   * Webhooks one process delivers to at once (each claim is one webhook, in feed order). As many
   * as there can be webhooks: a delivery in flight costs a socket and a promise, not a thread, and
   * with fewer places four receivers that hang took all four and held a healthy webhook's events
   * back for minutes (review of 2026-12, docs/security.md). One webhook never has two in flight
   * (its lease), so feed order per webhook holds.
   */
  webhookWorkerConcurrency: webhooksMax,
  /**
   * Connections of the delivery worker's own pool (apart from DB_POOL_MAX's). A slot holds one only
   * for a statement, never across an HTTP call, so two serve every slot.
   */
  webhookDbPoolMax: 2,
  /** Webhook.failedEvents lists at most this many, newest first. */
  webhookFailedEventsShownMax,
  /** The per-webhook pending gauge counts up to this many (a count, not a scan of the backlog). */
  webhookPendingCountMax: 10_000,
  // Defaults of the WEBHOOK_* settings in config.ts.
  /** How often an idle delivery worker looks for due work. */
  webhookPollIntervalMsDefault: 250,
  /** Retry backoff: base * 2^(attempt-1), capped, then a random 50..100% of it (jitter). */
  webhookBackoffBaseMsDefault: 1_000,
  webhookBackoffMaxMsDefault: 60 * 60 * 1000,
  /** A failing event is retried for at least this long, then marked failed (contract: >= 24 h). */
  webhookRetryWindowMsDefault: 24 * 60 * 60 * 1000,
  /** A replica's claim on a webhook; renewed before every delivery, so it must exceed one delivery. */
  webhookLeaseMsDefault: 20_000,
} as const;
