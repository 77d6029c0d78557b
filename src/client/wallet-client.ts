/**
 * A small typed client for the wallet gateway, for game servers (Node 20+) and frontends. It uses
 * the typed document nodes generated from schema.graphql and src/client/operations (npm run
 * codegen), sends queries and mutations over HTTP with fetch and a bearer token, and subscribes
 * over graphql-ws. Amounts are bigint on this side and decimal strings on the wire; the
 * conversion happens here, at the edge, so no caller ever handles money as a JS number.
 *
 * Copy this file together with src/client/generated/, or import it from the package. Its only
 * runtime dependencies are `graphql` (to print documents) and `graphql-ws`.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import * as ops from './generated/graphql';

export type {
  TransactionKind,
  HoldStatus,
  EntryDirection,
  AccountKind,
  CreditOrigin,
  WalletStatus,
  EventType,
} from './generated/graphql';

// ---------------------------------------------------------------------------------------------
// Errors

/** The stable error codes of the contract (extensions.code), plus the two this client adds. */
export const WalletErrorCodes = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'IDEMPOTENCY_KEY_REUSED',
  'HOLD_NOT_ACTIVE',
  'ALREADY_REVERSED',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'LIMIT_EXCEEDED',
  'WALLET_FROZEN',
  'INTERNAL_SERVER_ERROR',
  /** Client side: the request never got an answer (connection refused, reset, timed out). */
  'NETWORK_ERROR',
  /** Client side: an answer that is not a GraphQL response (a proxy's error page, say). */
  'BAD_RESPONSE',
] as const;
export type WalletErrorCode = (typeof WalletErrorCodes)[number];

/**
 * Codes after which the same request, with the same idempotency key, may be sent again: the
 * gateway either did not decide it or will replay its decision. Every other code is final for
 * that key (fix the input, or take a new key for a new attempt).
 */
const retryableCodes: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  'NETWORK_ERROR',
  'BAD_RESPONSE',
]);

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** An error the gateway (or the network) answered, with its contract code. */
export class WalletApiError extends Error {
  readonly code: WalletErrorCode;
  /** Every GraphQL error of the response (the code is the first one's). */
  readonly errors: readonly GraphQLErrorShape[];
  readonly status?: number;

  constructor(
    code: WalletErrorCode,
    message: string,
    options: { errors?: readonly GraphQLErrorShape[]; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WalletApiError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.status = options.status;
  }

  /**
   * The first error's extensions: for LIMIT_EXCEEDED `limit`, `max` and `remaining`; for a refused
   * changeset `leg` (the index of the first refused leg); for BAD_USER_INPUT often `field`.
   */
  get extensions(): Record<string, unknown> {
    return this.errors[0]?.extensions ?? {};
  }

  /** True when sending the same request again (same idempotency key) may succeed. */
  get retryable(): boolean {
    return retryableCodes.has(this.code);
  }

  static fromGraphQLErrors(errors: readonly GraphQLErrorShape[], status?: number): WalletApiError {
    const first = errors[0];
    const raw = first?.extensions?.code;
    const code =
      typeof raw === 'string' && (WalletErrorCodes as readonly string[]).includes(raw)
        ? (raw as WalletErrorCode)
        : 'INTERNAL_SERVER_ERROR';
    return new WalletApiError(code, first?.message ?? 'The gateway answered with an error.', {
      errors,
      status,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Idempotency and retries

/**
 * A fresh idempotency key. Create it ONCE per intended money movement (for example when the
 * player presses "buy", or from your own order id) and reuse it for every retry of that movement.
 */
export function newIdempotencyKey(prefix = 'wk'): string {
  return `${prefix}-${globalThis.crypto.randomUUID()}`;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The first backoff; it doubles per attempt, with jitter, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, fails with a final code, or runs out of attempts. Safe for
 * mutations only when every attempt sends the same idempotency key: the gateway then applies the
 * movement at most once and answers a retry with the first outcome (replayed: true).
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof WalletApiError) || !error.retryable || n >= attempts) throw error;
      const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1)) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Values as this client returns them: amounts and sequences as bigint

type Asset = ops.AssetFieldsFragment;

/** An asset's limits; null means no limit. */
export interface AssetLimits {
  balanceMax: bigint | null;
  dailyBonusMax: bigint | null;
  dailyTransferOutMax: bigint | null;
}

export interface AssetWithLimits extends Asset {
  limits: AssetLimits;
}

/** A credit lot with an expiry that has not expired yet (Wallet.expiring). */
export interface CreditLot {
  origin: ops.CreditOrigin;
  /** What is left of the lot, reserved amounts included. */
  amount: bigint;
  expiresAt: string | null;
  createdAt: string;
}

export interface Wallet {
  /** Opaque and stable: the same for every answer about this wallet (a cache key; never parse it). */
  id: string;
  userId: string;
  asset: Asset;
  balance: bigint;
  available: bigint;
  /** The sequence of the wallet's latest entry; pass it as afterSequence to resume a subscription. */
  lastSequence: bigint;
  updatedAt: string;
  /** The parts of balance that came from PAID (topup) and FREE credits; paid + free = balance. */
  paid: bigint;
  free: bigint;
  status: ops.WalletStatus;
  /**
   * Lots with an expiry, soonest first (at most 20), as of now. Empty in a BalanceChange: the
   * gateway sends a change's wallet as of its entry, without lots; read balance() for them.
   */
  expiring: CreditLot[];
}

export interface LedgerEntry {
  id: string;
  sequence: bigint;
  userId: string;
  account: ops.AccountKind;
  direction: ops.EntryDirection;
  amount: bigint;
  balanceAfter: bigint;
  kind: ops.TransactionKind;
  createdAt: string;
  asset: { code: string };
  transaction?: { id: string; reference: string | null };
}

export interface Transaction {
  id: string;
  kind: ops.TransactionKind;
  userId: string;
  amount: bigint;
  idempotencyKey: string;
  reference: string | null;
  metadata: unknown;
  createdAt: string;
  /** The parts of amount drawn from or added to PAID and FREE lots. */
  paidAmount: bigint;
  freeAmount: bigint;
  /** For a TRANSFER, the recipient (userId is the sender). */
  counterpartyUserId: string | null;
  /** For a leg of a changeset, the id its legs share. */
  changesetId: string | null;
  asset: { code: string };
  entries: LedgerEntry[];
}

export interface TransferResult {
  transaction: Transaction;
  wallet: Wallet;
  /** True when the gateway replayed an earlier request with the same idempotency key. */
  replayed: boolean;
}

export interface Hold {
  id: string;
  userId: string;
  amount: bigint;
  status: ops.HoldStatus;
  expiresAt: string | null;
  createdAt: string;
  reference: string | null;
  resolvedAt: string | null;
  asset: { code: string };
}

export interface HoldResult {
  hold: Hold;
  wallet: Wallet;
  replayed: boolean;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  hasNextPage: boolean;
  /** Pass as `after` to read the next (older) page. */
  endCursor: string | null;
}

export interface BalanceChange {
  wallet: Wallet;
  entry: LedgerEntry;
}

export interface UserTransferResult {
  /** userId is the sender, counterpartyUserId the recipient. */
  transaction: Transaction;
  from: Wallet;
  to: Wallet;
  replayed: boolean;
}

export interface ChangesetResult {
  changesetId: string;
  /** One transaction per leg, in the order of the legs. */
  transactions: Transaction[];
  /** Every wallet the changeset touched, ordered by userId then asset code. */
  wallets: Wallet[];
  replayed: boolean;
}

/** One committed change of the event feed (Query.events). */
export interface FeedEvent {
  id: string;
  type: ops.EventType;
  createdAt: string;
  /** Resume after it (events({ after })) to read what follows this event. */
  cursor: string;
  transaction:
    | (Omit<
        NonNullable<ops.EventFieldsFragment['transaction']>,
        'amount' | 'paidAmount' | 'freeAmount'
      > & { amount: bigint; paidAmount: bigint; freeAmount: bigint })
    | null;
  hold: Hold | null;
  wallet:
    (Omit<NonNullable<ops.EventFieldsFragment['wallet']>, 'balance'> & { balance: bigint }) | null;
}

export interface EventsPage {
  events: FeedEvent[];
  hasNextPage: boolean;
  /** Pass as `after` to read the next page; keep it (durably) to resume after a restart. */
  endCursor: string | null;
}

export type Webhook = ops.WebhookFieldsFragment & {
  failedEvents?: { id: string; type: ops.EventType; createdAt: string }[];
};

const toWallet = (w: ops.WalletFieldsFragment): Wallet => ({
  ...w,
  balance: BigInt(w.balance),
  available: BigInt(w.available),
  lastSequence: BigInt(w.lastSequence),
  paid: BigInt(w.paid),
  free: BigInt(w.free),
  expiring: w.expiring.map((lot) => ({ ...lot, amount: BigInt(lot.amount) })),
});
const orNull = (amount: string | null): bigint | null => (amount === null ? null : BigInt(amount));
const toAssetWithLimits = (a: ops.AssetLimitsFieldsFragment): AssetWithLimits => ({
  ...a,
  limits: {
    balanceMax: orNull(a.limits.balanceMax),
    dailyBonusMax: orNull(a.limits.dailyBonusMax),
    dailyTransferOutMax: orNull(a.limits.dailyTransferOutMax),
  },
});
const toEntry = (
  e: ops.EntryFieldsFragment & { transaction?: { id: string; reference: string | null } },
): LedgerEntry => ({
  ...e,
  sequence: BigInt(e.sequence),
  amount: BigInt(e.amount),
  balanceAfter: BigInt(e.balanceAfter),
});
const toTransaction = (t: ops.TransactionFieldsFragment): Transaction => ({
  ...t,
  amount: BigInt(t.amount),
  paidAmount: BigInt(t.paidAmount),
  freeAmount: BigInt(t.freeAmount),
  entries: t.entries.map(toEntry),
});
const toTransfer = (p: ops.TransferFieldsFragment): TransferResult => ({
  replayed: p.replayed,
  transaction: toTransaction(p.transaction),
  wallet: toWallet(p.wallet),
});
const toHold = (h: ops.HoldFieldsFragment): Hold => ({ ...h, amount: BigInt(h.amount) });
const toHoldResult = (p: ops.HoldPayloadFieldsFragment): HoldResult => ({
  replayed: p.replayed,
  hold: toHold(p.hold),
  wallet: toWallet(p.wallet),
});
const toEvent = ({
  cursor,
  node,
}: {
  cursor: string;
  node: ops.EventFieldsFragment;
}): FeedEvent => ({
  ...node,
  cursor,
  transaction: node.transaction
    ? {
        ...node.transaction,
        amount: BigInt(node.transaction.amount),
        paidAmount: BigInt(node.transaction.paidAmount),
        freeAmount: BigInt(node.transaction.freeAmount),
      }
    : null,
  hold: node.hold ? toHold(node.hold) : null,
  wallet: node.wallet ? { ...node.wallet, balance: BigInt(node.wallet.balance) } : null,
});

// ---------------------------------------------------------------------------------------------
// Inputs: amounts as bigint

export interface TransferInput {
  userId: string;
  asset: string;
  amount: bigint;
  idempotencyKey: string;
  reference?: string;
  metadata?: unknown;
}

/** A topup or bonus: the input of a spend plus, optionally, when the credit's lot expires. */
export interface CreditInput extends TransferInput {
  /** The lot expires then: in the future, at most 10 years ahead. */
  expiresAt?: Date;
}

export interface UserTransferInput {
  fromUserId: string;
  /** Must differ from fromUserId. */
  toUserId: string;
  asset: string;
  amount: bigint;
  idempotencyKey: string;
  reference?: string;
  metadata?: unknown;
}

export interface ChangesetLegInput {
  userId: string;
  asset: string;
  /** TOPUP, BONUS or SPEND. */
  kind: Extract<ops.TransactionKind, 'TOPUP' | 'BONUS' | 'SPEND'>;
  amount: bigint;
  /** Credit legs only. */
  expiresAt?: Date;
}

export interface ChangesetInput {
  /** 1..20 legs, applied all together or not at all. */
  legs: ChangesetLegInput[];
  idempotencyKey: string;
  reference?: string;
  metadata?: unknown;
}

export interface HoldInput {
  userId: string;
  asset: string;
  amount: bigint;
  idempotencyKey: string;
  expiresAt?: Date;
  reference?: string;
}

export interface LedgerOptions {
  asset?: string;
  kinds?: ops.TransactionKind[];
  since?: Date;
  until?: Date;
  reference?: string;
  first?: number;
  after?: string;
}

const transferVariables = (input: TransferInput) => ({
  input: { ...input, amount: input.amount.toString() },
});
const creditVariables = (input: CreditInput) => ({
  input: { ...input, amount: input.amount.toString(), expiresAt: input.expiresAt?.toISOString() },
});
const limitText = (amount: bigint | null) => (amount === null ? null : amount.toString());

// ---------------------------------------------------------------------------------------------
// The client

export interface WalletClientOptions {
  /** The gateway's GraphQL endpoint, e.g. http://wallet:4000/graphql. */
  url: string;
  /** The bearer token, or a function returning a current one (called per request and per websocket connection). */
  token: string | (() => string | Promise<string>);
  /** The websocket endpoint; default: url with http(s) replaced by ws(s). */
  wsUrl?: string;
  /** A WebSocket implementation where there is no global one (Node 20: pass the `ws` package). */
  webSocketImpl?: unknown;
  /** Sent as x-request-id on each HTTP request, to find the gateway's log line of a request. */
  requestId?: () => string;
  fetch?: typeof fetch;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

export interface BalanceChangedHandlers {
  next(change: BalanceChange): void;
  /** A final error: the subscription is over (bad input, forbidden, or the token was refused). */
  error?(error: WalletApiError): void;
  /** The connection dropped; the client reconnects and resumes after the last sequence it delivered. */
  reconnecting?(attempt: number): void;
}

export interface SubscribeOptions {
  userId: string;
  /** Needed for resuming: a sequence is per wallet (user, asset). */
  asset?: string;
  /** Replay the wallet's entries after this sequence first (e.g. a Wallet's lastSequence). */
  afterSequence?: bigint;
}

export class WalletClient {
  private readonly documents = new WeakMap<DocumentNode, string>();
  private ws?: WsClient;

  constructor(private readonly options: WalletClientOptions) {}

  private async token(): Promise<string> {
    return typeof this.options.token === 'function' ? this.options.token() : this.options.token;
  }

  private queryText(document: DocumentNode): string {
    let text = this.documents.get(document);
    if (text === undefined) {
      text = print(document);
      this.documents.set(document, text);
    }
    return text;
  }

  /** Sends any generated document over HTTP and returns its typed data, or throws WalletApiError. */
  async request<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData> {
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${await this.token()}`,
    };
    if (this.options.requestId) headers['x-request-id'] = this.options.requestId();
    let response: Response;
    try {
      response = await doFetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: this.queryText(document), variables }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (cause) {
      throw new WalletApiError('NETWORK_ERROR', 'The gateway could not be reached.', { cause });
    }
    let body: { data?: TData | null; errors?: GraphQLErrorShape[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (cause) {
      throw new WalletApiError(
        response.status === 503 ? 'SERVICE_UNAVAILABLE' : 'BAD_RESPONSE',
        `The gateway answered HTTP ${response.status} without a GraphQL body.`,
        { status: response.status, cause },
      );
    }
    if (body.errors && body.errors.length > 0)
      throw WalletApiError.fromGraphQLErrors(body.errors, response.status);
    if (!body.data)
      throw new WalletApiError('BAD_RESPONSE', 'The gateway answered without data.', {
        status: response.status,
      });
    return body.data;
  }

  /** Every asset, with its limits. */
  async assets(): Promise<AssetWithLimits[]> {
    return (await this.request(ops.AssetsDocument, {})).assets.map(toAssetWithLimits);
  }

  async balance(userId: string, asset: string, at?: Date): Promise<Wallet> {
    return toWallet(
      (await this.request(ops.BalanceDocument, { userId, asset, at: at?.toISOString() })).balance,
    );
  }

  async balances(userId: string): Promise<Wallet[]> {
    return (await this.request(ops.BalancesDocument, { userId })).balances.map(toWallet);
  }

  /** One page of the user's ledger, newest first. */
  async ledger(userId: string, options: LedgerOptions = {}): Promise<LedgerPage> {
    const { since, until, ...rest } = options;
    const { ledger } = await this.request(ops.LedgerDocument, {
      userId,
      ...rest,
      since: since?.toISOString(),
      until: until?.toISOString(),
    });
    return {
      entries: ledger.edges.map((edge) => toEntry(edge.node)),
      hasNextPage: ledger.pageInfo.hasNextPage,
      endCursor: ledger.pageInfo.endCursor,
    };
  }

  async transaction(id: string): Promise<Transaction | null> {
    const { transaction } = await this.request(ops.TransactionDocument, { id });
    return transaction ? toTransaction(transaction) : null;
  }

  async hold(id: string): Promise<Hold | null> {
    const { hold } = await this.request(ops.HoldDocument, { id });
    return hold ? toHold(hold) : null;
  }

  /** A PAID credit (treasury -> user); with expiresAt, its lot expires then. */
  async topup(input: CreditInput): Promise<TransferResult> {
    return toTransfer((await this.request(ops.TopupDocument, creditVariables(input))).topup);
  }

  /** A FREE credit (bonus pool -> user); with expiresAt, its lot expires then. */
  async bonus(input: CreditInput): Promise<TransferResult> {
    return toTransfer((await this.request(ops.BonusDocument, creditVariables(input))).bonus);
  }

  async spend(input: TransferInput): Promise<TransferResult> {
    return toTransfer((await this.request(ops.SpendDocument, transferVariables(input))).spend);
  }

  async placeHold(input: HoldInput): Promise<HoldResult> {
    const variables = {
      input: {
        ...input,
        amount: input.amount.toString(),
        expiresAt: input.expiresAt?.toISOString(),
      },
    };
    return toHoldResult((await this.request(ops.PlaceHoldDocument, variables)).hold);
  }

  async captureHold(input: {
    holdId: string;
    idempotencyKey: string;
    amount?: bigint;
  }): Promise<TransferResult> {
    const variables = { input: { ...input, amount: input.amount?.toString() } };
    return toTransfer((await this.request(ops.CaptureHoldDocument, variables)).captureHold);
  }

  async releaseHold(holdId: string, idempotencyKey: string): Promise<HoldResult> {
    return toHoldResult(
      (await this.request(ops.ReleaseHoldDocument, { holdId, idempotencyKey })).releaseHold,
    );
  }

  /**
   * Undoes a TOPUP, BONUS, SPEND or CAPTURE. With allowPartial, a credit that was partly spent (a
   * refunded purchase) is taken back as far as the wallet allows instead of INSUFFICIENT_FUNDS.
   */
  async reverse(input: {
    transactionId: string;
    idempotencyKey: string;
    reason?: string;
    allowPartial?: boolean;
  }): Promise<TransferResult> {
    return toTransfer((await this.request(ops.ReverseDocument, { input })).reverse);
  }

  /** One player to another: one TRANSFER transaction (servers and admins). */
  async transfer(input: UserTransferInput): Promise<UserTransferResult> {
    const { transfer } = await this.request(ops.TransferDocument, {
      input: { ...input, amount: input.amount.toString() },
    });
    return {
      replayed: transfer.replayed,
      transaction: toTransaction(transfer.transaction),
      from: toWallet(transfer.from),
      to: toWallet(transfer.to),
    };
  }

  /**
   * Every leg or none. A refused leg throws WalletApiError whose `extensions.leg` is the index of
   * the first refused leg.
   */
  async applyChangeset(input: ChangesetInput): Promise<ChangesetResult> {
    const legs = input.legs.map((leg) => ({
      ...leg,
      amount: leg.amount.toString(),
      expiresAt: leg.expiresAt?.toISOString(),
    }));
    const { applyChangeset } = await this.request(ops.ApplyChangesetDocument, {
      input: { ...input, legs },
    });
    return {
      changesetId: applyChangeset.changesetId,
      replayed: applyChangeset.replayed,
      transactions: applyChangeset.transactions.map(toTransaction),
      wallets: applyChangeset.wallets.map(toWallet),
    };
  }

  /** Admins: sets all three limits of an asset at once (null clears one). */
  async setAssetLimits(asset: string, limits: AssetLimits): Promise<AssetWithLimits> {
    const variables = {
      asset,
      limits: {
        balanceMax: limitText(limits.balanceMax),
        dailyBonusMax: limitText(limits.dailyBonusMax),
        dailyTransferOutMax: limitText(limits.dailyTransferOutMax),
      },
    };
    return toAssetWithLimits(
      (await this.request(ops.SetAssetLimitsDocument, variables)).setAssetLimits,
    );
  }

  /**
   * Admins: freezes or unfreezes one wallet (with asset) or the user as a whole (without), and
   * answers every wallet of the user.
   */
  async setWalletStatus(input: {
    userId: string;
    asset?: string;
    status: ops.WalletStatus;
    reason?: string;
  }): Promise<Wallet[]> {
    return (await this.request(ops.SetWalletStatusDocument, input)).setWalletStatus.map(toWallet);
  }

  /**
   * One page of the event feed, oldest first (servers and admins). Resume with `after` = the last
   * page's endCursor (or the last handled event's cursor): every event once, no gap.
   */
  async events(options: { after?: string; first?: number } = {}): Promise<EventsPage> {
    const { events } = await this.request(ops.EventsDocument, options);
    return {
      events: events.edges.map(toEvent),
      hasNextPage: events.pageInfo.hasNextPage,
      endCursor: events.pageInfo.endCursor,
    };
  }

  /** Admins: the registered webhooks (never their secrets), with the events each gave up on. */
  async webhooks(): Promise<Webhook[]> {
    return (await this.request(ops.WebhooksDocument, {})).webhooks;
  }

  /** Admins: registers an endpoint. The answer carries the signing secret: the only time it is shown. */
  async createWebhook(input: {
    url: string;
    secret?: string;
  }): Promise<Webhook & { secret: string }> {
    const { createWebhook } = await this.request(ops.CreateWebhookDocument, { input });
    if (createWebhook.secret === null)
      throw new WalletApiError('BAD_RESPONSE', 'createWebhook answered without the secret.');
    return { ...createWebhook, secret: createWebhook.secret };
  }

  /** Admins: stops a webhook's deliveries; false when there was no such webhook. */
  async deleteWebhook(id: string): Promise<boolean> {
    return (await this.request(ops.DeleteWebhookDocument, { id })).deleteWebhook;
  }

  private websocket(): WsClient {
    this.ws ??= createClient({
      url: this.options.wsUrl ?? this.options.url.replace(/^http/, 'ws'),
      webSocketImpl: this.options.webSocketImpl,
      connectionParams: async () => ({ authorization: `Bearer ${await this.token()}` }),
      lazy: true,
      // Reconnection is done per subscription (below), so that it resumes after the last
      // delivered sequence instead of repeating the original request.
      retryAttempts: 0,
    });
    return this.ws;
  }

  /**
   * Live balance changes of a user (one asset, or all). Each change arrives once, in sequence
   * order: after a dropped connection the client reconnects with backoff and, when an asset is
   * given, resubscribes with afterSequence = the last sequence it delivered, so nothing is missed
   * or repeated. Returns a function that ends the subscription.
   */
  onBalanceChanged(options: SubscribeOptions, handlers: BalanceChangedHandlers): () => void {
    let last = options.afterSequence;
    let stop: (() => void) | undefined;
    let ended = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const query = this.queryText(ops.BalanceChangedDocument);

    const start = () => {
      if (ended) return;
      const variables = {
        userId: options.userId,
        asset: options.asset,
        afterSequence: options.asset && last !== undefined ? last.toString() : undefined,
      };
      stop = this.websocket().subscribe<ops.BalanceChangedSubscription>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors && result.errors.length > 0) {
              finish(WalletApiError.fromGraphQLErrors(result.errors));
              return;
            }
            if (!result.data) return;
            failures = 0;
            const change = {
              wallet: toWallet(result.data.balanceChanged.wallet),
              entry: toEntry(result.data.balanceChanged.entry),
            };
            // A replay after a reconnect may overlap what was delivered; each sequence is delivered once.
            if (options.asset && last !== undefined && change.entry.sequence <= last) return;
            if (options.asset) last = change.entry.sequence;
            handlers.next(change);
          },
          error: (error) => {
            if (Array.isArray(error)) {
              finish(WalletApiError.fromGraphQLErrors(error as GraphQLErrorShape[]));
              return;
            }
            // The socket closed or could not connect: reconnect with backoff.
            failures += 1;
            handlers.reconnecting?.(failures);
            const delayMs =
              Math.min(10_000, 250 * 2 ** Math.min(failures - 1, 6)) * (0.5 + Math.random() / 2);
            timer = setTimeout(start, delayMs);
          },
          complete: () => undefined,
        },
      );
    };
    const finish = (error: WalletApiError) => {
      if (ended) return;
      ended = true;
      stop?.();
      handlers.error?.(error);
    };
    start();
    return () => {
      ended = true;
      if (timer) clearTimeout(timer);
      stop?.();
    };
  }

  /** Closes the websocket (if one was opened). */
  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = undefined;
  }
}

export function createWalletClient(options: WalletClientOptions): WalletClient {
  return new WalletClient(options);
}
