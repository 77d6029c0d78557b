import type { TxClient } from '../shared/db/prisma';
import type { RefusalCode, RefusalDetail } from '../shared/errors';
import type { PriorOutcome } from '../shared/idempotency';
import type { AccountKind, EntryDirection, SystemAccount, TransactionKind } from './enums';
import type { Lot, LotAmount, LotOrigin } from './lots';

/**
 * A committed transaction as the engine answers it (the ledger module's GraphQL Transaction has
 * these fields).
 */
export interface Transaction {
  id: string;
  kind: TransactionKind;
  userId: string;
  assetCode: string;
  amount: bigint;
  paidAmount: bigint;
  freeAmount: bigint;
  idempotencyKey: string;
  reference: string | null;
  metadata: unknown;
  createdAt: Date;
  /** The id of the transaction this one reverses (REVERSAL only). */
  reversesId: string | null;
  /** The hold this transaction captured (CAPTURE only). */
  holdId: string | null;
  counterpartyUserId: string | null;
  changesetId: string | null;
  /** The client (idempotency scope) that made the transaction: it owns it (reversals). */
  clientId: string;
}

/** The ids of an asset's system accounts (wallet rows without a user). */
export type SystemAccountIds = Record<SystemAccount, bigint>;

/**
 * What the engine needs to know of assets (a port: the assets module's AssetService satisfies
 * it): that an asset exists, and its system accounts' ids.
 */
export interface AssetDirectory {
  require(code: string): Promise<{ asset: { code: string }; accounts: SystemAccountIds }>;
}

/** A user's wallet of one asset, named as the API names it. */
export interface WalletRef {
  userId: string;
  assetCode: string;
}

export const walletKey = (ref: WalletRef): string => `${ref.assetCode}\u0000${ref.userId}`;

/** A user wallet as the engine holds it under its row lock, changed in memory as postings apply. */
export interface BookWallet extends WalletRef {
  id: bigint;
  /** The ledger balance: the sum of the wallet's entries (expired lots not yet swept included). */
  balance: bigint;
  /** The sum of the wallet's ACTIVE, unexpired holds. */
  held: bigint;
  lastSequence: bigint;
  updatedAt: Date;
  /** The live lots; their remainders sum to `balance`. */
  lots: Lot[];
  /** What ACTIVE, unexpired holds reserve on each lot. */
  reserved: Map<bigint, bigint>;
  /** The wallet or its user is frozen. */
  frozen: boolean;
  /** The limits' per-UTC-day counters: the day they count (days since 1970-01-01) and what they counted. */
  bonusDay: number | null;
  bonusToday: bigint;
  transferOutDay: number | null;
  transferOutToday: bigint;
}

/** An asset's limits as read under the locks (null: no limit). */
export interface LimitsOf {
  balanceMax: bigint | null;
  dailyBonusMax: bigint | null;
  dailyTransferOutMax: bigint | null;
}

/** How a user leg changes the wallet's lots. */
export type LotPlan =
  /** A credit that makes a new lot (its id is the transaction's). */
  | { kind: 'new'; origin: LotOrigin; expiresAt: Date | null }
  /** A credit that puts drawn amounts back into the lots they came from (a debit's reversal). */
  | { kind: 'restore'; amounts: LotAmount[]; lots: Lot[] }
  /** A debit in the contract's order; `first` is drawn before all others (a credit's own reversal). */
  | { kind: 'draw'; first?: bigint }
  /** A debit that consumes what a hold reserved, in reservation order (a capture). */
  | { kind: 'reserved'; amounts: LotAmount[] }
  /** A debit of one lot's expired, unreserved remainder (an expiry). */
  | { kind: 'lot'; lotId: bigint };

/** One side of a posting: a user wallet, or one of the asset's system accounts. */
export type Leg =
  | {
      account: AccountKind.USER;
      wallet: WalletRef;
      direction: EntryDirection;
      amount: bigint;
      lots?: LotPlan;
    }
  | { account: SystemAccount; direction: EntryDirection; amount: bigint };

/** One transaction a decision posts: its row, and its legs (any number, summing to zero). */
export interface Posting {
  kind: TransactionKind;
  /** The transaction's user (for a TRANSFER, the sender) and asset. */
  userId: string;
  assetCode: string;
  amount: bigint;
  reference: string | null;
  metadata: unknown;
  reversesId?: bigint | null;
  holdId?: bigint | null;
  counterpartyUserId?: string | null;
  /** For a leg of a changeset, its index (0-based); the legs then share one changeset id. */
  legIndex?: number;
  legs: Leg[];
}

/**
 * What a rule decided: accept (the postings it drafted, plus an effect such as a hold to insert),
 * or refuse with a code. A refusal discards everything the rule drafted.
 */
export type Verdict<E = undefined> =
  | { kind: 'accept'; effect?: E }
  | { kind: 'refuse'; code: RefusalCode; detail?: RefusalDetail }
  /** Nothing to do (a sweep that found its work done): nothing is written, the key stays unused. */
  | { kind: 'skip' };

/** What a key already decided, as recorded in idempotency_keys. */
export type RecordedOutcome = PriorOutcome;

/** The key and fingerprint a success is recorded under (idempotency_keys). */
export interface KeyOutcome {
  clientId: string;
  key: string;
  operation: string;
  requestHash: string;
}

/** The result ids a key's outcome points at. */
export interface OutcomeIds {
  transactionId: bigint | null;
  holdId: bigint | null;
  changesetId: bigint | null;
}

/**
 * One money operation, as a rule on the engine. The engine does the rest, the same way for every
 * operation: validate (done by the caller before it builds the operation), lock every wallet named
 * here in one statement in wallet-id order and read the key's outcome, `load` what else the
 * decision needs under those locks, `decide`, post and `apply`, record the key's outcome, and
 * after the commit answer, replay or refuse.
 *
 * L is what `load` reads, E the effect a verdict carries beyond its postings (a hold to insert),
 * A what `apply` returns, R the answer.
 */
export interface MoneyOperation<R, L = undefined, E = undefined, A = undefined> {
  /** The operation's name as recorded with its key (a key replays only for the same operation). */
  name: string;
  /** The fingerprint of the request (idempotency: same key, same hash, same operation). */
  requestHash: string;
  /** Every user wallet the decision reads or changes. */
  wallets: WalletRef[];
  /** The wallets the operation credits: created (at balance 0) when missing. Others may be absent. */
  creates: WalletRef[];
  /** How many transactions the decision may post (ids are allocated for them up front); default 1. */
  postingsMax?: number;
  /** Reads under the wallets' locks, e.g. the hold a capture acts on. */
  load?(tx: TxClient, book: Book): Promise<L>;
  /**
   * The decision: a plain function of the locked wallets, what `load` read, and the input. It
   * drafts its postings on `draft` (which then reads as if they had applied, so that several
   * legs on one wallet see each other) and accepts or refuses.
   */
  decide(draft: Draft, loaded: L): Verdict<E>;
  /**
   * Writes beyond the postings (hold rows), in the same transaction, after the postings. When the
   * operation posts nothing, `apply` records the key's outcome itself, in the statement that makes
   * the result (one round trip less while the wallet is locked), with `outcome` from the engine.
   */
  apply?(
    tx: TxClient,
    effect: E | undefined,
    posted: Transaction[],
    book: Book,
    outcome: KeyOutcome,
  ): Promise<A>;
  /** The answer of a decision that committed. */
  answer(posted: Transaction[], applied: A, book: Book): R;
  /** The answer of a retry: the recorded result as it is now. */
  replay(ids: OutcomeIds): Promise<R>;
}

/** The locked wallets, read-only to rules, plus what they may ask of them. */
export interface Book {
  /** The locked wallet, or undefined when the user never had one (and the operation does not credit it). */
  find(ref: WalletRef): BookWallet | undefined;
  /** What a debit or a new hold may use: balance minus active holds; 0 for a missing wallet. */
  available(ref: WalletRef): bigint;
  /** The database clock when the locks were granted (expiry is judged by it). */
  now: Date;
  /** The asset's limits, read under the locks. */
  limits(assetCode: string): LimitsOf;
  /** True when the wallet or its user is frozen (a user freeze covers wallets not created yet). */
  frozen(ref: WalletRef): boolean;
  /** BONUS credited to the wallet today (UTC), and TRANSFER sent from it today. */
  bonusToday(ref: WalletRef): bigint;
  transferOutToday(ref: WalletRef): bigint;
  /** The wallet as reads show it: expired, unreserved remainders no longer count. */
  view(ref: WalletRef): { balance: bigint; available: bigint; paid: bigint; free: bigint };
}

/** The book as a decision drafts on it. */
export interface Draft extends Book {
  /**
   * Drafts one transaction. The engine asserts its legs sum to zero and that no user wallet goes
   * below zero: a rule checks `available` first and refuses, so a failed assertion is a bug.
   */
  post(posting: Posting): void;
  /**
   * Reserves `amount` on the wallet's lots in debit order for a new hold and returns what it
   * reserved where; `release` gives a hold's reservations back (capture, release).
   */
  reserve(ref: WalletRef, amount: bigint): LotAmount[];
  release(ref: WalletRef, amount: bigint, reservations: readonly LotAmount[]): void;
}

/**
 * An operation's pure rule: validated input in, what the engine runs out, with no database in
 * it (unit-tested against an in-memory LedgerBook). The operation's service adds what reads or
 * writes beyond the postings: `load`, `apply`, `replay`.
 */
export type Rule<R, L = undefined, E = undefined, A = undefined> = Omit<
  MoneyOperation<R, L, E, A>,
  'load' | 'apply' | 'replay'
>;
