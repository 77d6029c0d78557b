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

export type { TransactionKind, HoldStatus, EntryDirection, AccountKind } from './generated/graphql';

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

export interface Wallet {
  userId: string;
  asset: Asset;
  balance: bigint;
  available: bigint;
  /** The sequence of the wallet's latest entry; pass it as afterSequence to resume a subscription. */
  lastSequence: bigint;
  updatedAt: string;
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

const toWallet = (w: ops.WalletFieldsFragment): Wallet => ({
  ...w,
  balance: BigInt(w.balance),
  available: BigInt(w.available),
  lastSequence: BigInt(w.lastSequence),
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

  async assets(): Promise<Asset[]> {
    return (await this.request(ops.AssetsDocument, {})).assets;
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

  async topup(input: TransferInput): Promise<TransferResult> {
    return toTransfer((await this.request(ops.TopupDocument, transferVariables(input))).topup);
  }

  async bonus(input: TransferInput): Promise<TransferResult> {
    return toTransfer((await this.request(ops.BonusDocument, transferVariables(input))).bonus);
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

  async reverse(input: {
    transactionId: string;
    idempotencyKey: string;
    reason?: string;
  }): Promise<TransferResult> {
    return toTransfer((await this.request(ops.ReverseDocument, { input })).reverse);
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
