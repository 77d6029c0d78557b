import { limits as gatewayLimits } from '../shared/limits';
import { AccountKind, CreditOrigin, EntryDirection } from './enums';
import { kinds } from './kinds';
import {
  allocate,
  expiredUnreserved,
  isExpired,
  paidPart,
  split,
  type Lot,
  type LotAmount,
} from './lots';
import {
  walletKey,
  type BookWallet,
  type Draft,
  type Leg,
  type LimitsOf,
  type LotPlan,
  type Posting,
  type WalletRef,
} from './types';

/** A user entry as drafted: its wallet's next sequence and the balance (and PAID part) right after it. */
export interface DraftedEntry {
  leg: Leg;
  walletId: bigint | null;
  sequence: bigint | null;
  balanceAfter: bigint | null;
  paidAfter: bigint | null;
}

export interface DraftedPosting {
  /** The transaction's id, allocated before the decision (a new lot takes it too). */
  id: bigint;
  /** For a changeset's legs: the id they share (the first leg's transaction id). */
  changesetId: bigint | null;
  posting: Posting;
  entries: DraftedEntry[];
  /** The PAID part of the amount (freeAmount is the rest). */
  paidAmount: bigint;
  /** Signed changes of lots (negative draws), and the lots it created. */
  movements: LotAmount[];
  newLots: { walletId: bigint; lot: Lot }[];
}

/** A wallet the postings changed: its values at lock time (the update's guard) and now. */
export interface WalletChange {
  wallet: BookWallet;
  balanceBefore: bigint;
  sequenceBefore: bigint;
}

type UserLeg = Extract<Leg, { account: AccountKind.USER }>;

const signed = (direction: EntryDirection, amount: bigint): bigint =>
  direction === EntryDirection.CREDIT ? amount : -amount;
const utcDay = (at: Date): number => Math.floor(at.getTime() / 86_400_000);
const noLimits: LimitsOf = { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null };

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant: ${message}`);
}

const cloneWallet = (w: BookWallet): BookWallet => ({
  ...w,
  lots: w.lots.map((lot) => ({ ...lot })),
  reserved: new Map(w.reserved),
});

/**
 * The wallets one money transaction has locked, and what its decisions drafted on them. Every
 * posting is checked here before anything is written: its legs sum to zero, every user wallet
 * stays at zero or above and within the largest amount, each user entry takes its wallet's next
 * sequence (gap-free), and the wallet's lots change with it (a debit draws exactly its amount, no
 * lot goes below zero, the lots sum to the balance). A decision that refuses is rolled back.
 */
export class LedgerBook implements Draft {
  private wallets = new Map<string, BookWallet>();
  private readonly before = new Map<bigint, { balance: bigint; sequence: bigint }>();
  private readonly drafted: DraftedPosting[] = [];
  private checkpoint:
    { drafted: number; ids: number; wallets: Map<string, BookWallet> } | undefined;
  private idsUsed = 0;

  constructor(
    locked: BookWallet[],
    readonly now: Date,
    private readonly assetLimits: ReadonlyMap<string, LimitsOf> = new Map(),
    private readonly frozenUsers: ReadonlySet<string> = new Set(),
    /** Transaction ids allocated for this decision, one per posting it may draft. */
    private readonly ids: readonly bigint[] = [],
  ) {
    for (const wallet of locked) {
      this.wallets.set(walletKey(wallet), cloneWallet(wallet));
      this.before.set(wallet.id, { balance: wallet.balance, sequence: wallet.lastSequence });
    }
  }

  find(ref: WalletRef): BookWallet | undefined {
    return this.wallets.get(walletKey(ref));
  }

  available(ref: WalletRef): bigint {
    const wallet = this.find(ref);
    return wallet ? this.view(ref).available : 0n;
  }

  view(ref: WalletRef): { balance: bigint; available: bigint; paid: bigint; free: bigint } {
    const wallet = this.find(ref);
    if (!wallet) return { balance: 0n, available: 0n, paid: 0n, free: 0n };
    const expired = expiredUnreserved(wallet.lots, wallet.reserved, this.now);
    const balance = wallet.balance - expired;
    const { paid, free } = split(wallet.lots, wallet.reserved, this.now);
    return { balance, available: balance - wallet.held, paid, free };
  }

  limits(assetCode: string): LimitsOf {
    return this.assetLimits.get(assetCode) ?? noLimits;
  }

  frozen(ref: WalletRef): boolean {
    return this.frozenUsers.has(ref.userId) || this.find(ref)?.frozen === true;
  }

  bonusToday(ref: WalletRef): bigint {
    const wallet = this.find(ref);
    return wallet && wallet.bonusDay === utcDay(this.now) ? wallet.bonusToday : 0n;
  }

  transferOutToday(ref: WalletRef): bigint {
    const wallet = this.find(ref);
    return wallet && wallet.transferOutDay === utcDay(this.now) ? wallet.transferOutToday : 0n;
  }

  post(posting: Posting): void {
    assert(posting.amount > 0n, 'a posting moves a positive amount');
    assert(posting.legs.length >= 2, 'a posting has two legs or more');
    const sum = posting.legs.reduce((total, leg) => {
      assert(leg.amount > 0n, 'every leg moves a positive amount');
      return total + signed(leg.direction, leg.amount);
    }, 0n);
    assert(sum === 0n, `the legs of a ${posting.kind} sum to ${sum}, not zero`);
    assert(
      this.idsUsed < this.ids.length,
      'more postings than transaction ids allocated for the decision',
    );
    const id = this.ids[this.idsUsed++]!;
    const drafted: DraftedPosting = {
      id,
      changesetId: this.changesetIdOf(posting, id),
      posting,
      entries: [],
      paidAmount: 0n,
      movements: [],
      newLots: [],
    };
    let firstUserLeg = true;
    for (const leg of posting.legs) {
      if (leg.account !== AccountKind.USER) {
        drafted.entries.push({
          leg,
          walletId: null,
          sequence: null,
          balanceAfter: null,
          paidAfter: null,
        });
        continue;
      }
      const paid = this.postUserLeg(posting, leg, drafted);
      // The transaction's split is its first user leg's (for a TRANSFER, what the sender gave).
      if (firstUserLeg) drafted.paidAmount = paid;
      firstUserLeg = false;
    }
    this.drafted.push(drafted);
  }

  /** A changeset's legs share the first leg's transaction id. */
  private changesetIdOf(posting: Posting, id: bigint): bigint | null {
    if (posting.legIndex === undefined) return null;
    const changesetId =
      posting.legIndex === 0 ? id : (this.drafted[this.drafted.length - 1]?.changesetId ?? null);
    assert(changesetId !== null, 'a changeset leg follows its first leg');
    return changesetId;
  }

  /** Applies one user leg to its wallet and checks it; returns the PAID part it moved. */
  private postUserLeg(posting: Posting, leg: UserLeg, drafted: DraftedPosting): bigint {
    assert(leg.wallet.assetCode === posting.assetCode, 'a posting moves one asset');
    const wallet = this.find(leg.wallet);
    assert(
      wallet !== undefined,
      `wallet ${leg.wallet.userId}/${leg.wallet.assetCode} is not locked`,
    );
    const paid = this.applyLots(wallet, leg, drafted.id, drafted);
    wallet.balance += signed(leg.direction, leg.amount);
    wallet.lastSequence += 1n;
    this.count(wallet, posting.kind, leg);
    assert(wallet.balance >= 0n, `wallet ${wallet.id} would go below zero`);
    assert(
      wallet.balance <= gatewayLimits.amountMax,
      `wallet ${wallet.id} would exceed the largest amount`,
    );
    const lotSum = wallet.lots.reduce((total, lot) => total + lot.remaining, 0n);
    assert(
      lotSum === wallet.balance,
      `the lots of wallet ${wallet.id} sum to ${lotSum}, its balance is ${wallet.balance}`,
    );
    const paidAfter = wallet.lots.reduce(
      (total, lot) => (lot.origin === CreditOrigin.PAID ? total + lot.remaining : total),
      0n,
    );
    drafted.entries.push({
      leg,
      walletId: wallet.id,
      sequence: wallet.lastSequence,
      balanceAfter: wallet.balance,
      paidAfter,
    });
    return paid;
  }

  /** Changes the wallet's lots as the leg says, and returns the PAID part of what it moved. */
  private applyLots(
    wallet: BookWallet,
    leg: UserLeg,
    transactionId: bigint,
    drafted: DraftedPosting,
  ): bigint {
    const plan =
      leg.lots ?? (leg.direction === EntryDirection.DEBIT ? { kind: 'draw' as const } : undefined);
    assert(plan !== undefined, 'a credit to a user wallet says which lot it goes to');
    let changes: LotAmount[];
    if (plan.kind === 'new') {
      assert(leg.direction === EntryDirection.CREDIT, 'only a credit makes a lot');
      changes = [this.creditLot(wallet, plan, leg.amount, transactionId, drafted)];
    } else if (plan.kind === 'restore') {
      assert(leg.direction === EntryDirection.CREDIT, 'only a credit restores lots');
      changes = plan.amounts.map((a) => ({ lotId: a.lotId, amount: a.amount }));
    } else {
      assert(leg.direction === EntryDirection.DEBIT, 'only a debit draws from lots');
      const draws = this.draws(wallet, plan, leg.amount);
      const drawn = draws.reduce((total, d) => total + d.amount, 0n);
      assert(
        drawn === leg.amount,
        `a debit of ${leg.amount} drew ${drawn} from the lots of wallet ${wallet.id}`,
      );
      changes = draws.map((d) => ({ lotId: d.lotId, amount: -d.amount }));
    }
    for (const change of changes) {
      let lot = wallet.lots.find((l) => l.id === change.lotId);
      if (!lot && change.amount > 0n && plan.kind === 'restore') {
        const known = plan.lots.find((l) => l.id === change.lotId);
        assert(known !== undefined, `lot ${change.lotId} to restore is unknown`);
        lot = { ...known, remaining: 0n };
        wallet.lots.push(lot);
      }
      assert(lot !== undefined, `lot ${change.lotId} is not a live lot of wallet ${wallet.id}`);
      lot.remaining += change.amount;
      assert(lot.remaining >= 0n, `lot ${lot.id} would go below zero`);
      drafted.movements.push(change);
    }
    const paid = paidPart(
      wallet.lots,
      changes.map((c) => ({ lotId: c.lotId, amount: c.amount < 0n ? -c.amount : c.amount })),
    );
    // A lot drawn to zero leaves the wallet's live lots (its history stays in lot_movements).
    wallet.lots = wallet.lots.filter(
      (lot) => lot.remaining > 0n || (wallet.reserved.get(lot.id) ?? 0n) > 0n,
    );
    return paid;
  }

  /**
   * The lot a credit goes to. Credits of one origin and one expiry are indistinguishable to every
   * rule (the debit order, expiry, paid/free), so a credit joins the live lot that has both rather
   * than making another: a wallet credited every day for years keeps a handful of lots, not
   * thousands. Which lot a credit went to is its movement, so its reversal still takes from it first.
   */
  private creditLot(
    wallet: BookWallet,
    plan: Extract<LotPlan, { kind: 'new' }>,
    amount: bigint,
    transactionId: bigint,
    drafted: DraftedPosting,
  ): LotAmount {
    const same = wallet.lots.find(
      (l) =>
        l.origin === plan.origin &&
        (l.expiresAt?.getTime() ?? null) === (plan.expiresAt?.getTime() ?? null) &&
        !isExpired(l, this.now),
    );
    if (same) return { lotId: same.id, amount };
    const lot: Lot = {
      id: transactionId,
      origin: plan.origin,
      remaining: 0n,
      expiresAt: plan.expiresAt,
      createdAt: this.now,
    };
    wallet.lots.push(lot);
    drafted.newLots.push({ walletId: wallet.id, lot: { ...lot, remaining: amount } });
    return { lotId: lot.id, amount };
  }

  /** What a debit draws from which lot, as its plan says. */
  private draws(
    wallet: BookWallet,
    plan: Extract<LotPlan, { kind: 'draw' | 'reserved' | 'lot' }>,
    amount: bigint,
  ): LotAmount[] {
    if (plan.kind === 'draw')
      return allocate(wallet.lots, wallet.reserved, amount, this.now, plan.first);
    if (plan.kind === 'reserved') {
      const draws: LotAmount[] = [];
      let left = amount;
      for (const r of plan.amounts) {
        const take = r.amount < left ? r.amount : left;
        if (take > 0n) draws.push({ lotId: r.lotId, amount: take });
        left -= take;
      }
      return draws;
    }
    const lot = wallet.lots.find((l) => l.id === plan.lotId);
    assert(
      lot !== undefined && isExpired(lot, this.now),
      `lot ${plan.lotId} is not an expired lot of wallet ${wallet.id}`,
    );
    return [{ lotId: lot.id, amount }];
  }

  /** Keeps the limits' per-day counters the kind feeds (kinds.ts: BONUS credited, TRANSFER sent). */
  private count(wallet: BookWallet, kind: Posting['kind'], leg: Leg): void {
    const today = utcDay(this.now);
    for (const { counter, direction } of kinds[kind].counters) {
      if (leg.direction !== direction) continue;
      if (counter === 'bonus') {
        if (wallet.bonusDay !== today) {
          wallet.bonusDay = today;
          wallet.bonusToday = 0n;
        }
        wallet.bonusToday += leg.amount;
      } else {
        if (wallet.transferOutDay !== today) {
          wallet.transferOutDay = today;
          wallet.transferOutToday = 0n;
        }
        wallet.transferOutToday += leg.amount;
      }
    }
  }

  reserve(ref: WalletRef, amount: bigint): LotAmount[] {
    const wallet = this.find(ref);
    assert(wallet !== undefined, `wallet ${ref.userId}/${ref.assetCode} is not locked`);
    const reservations = allocate(wallet.lots, wallet.reserved, amount, this.now);
    // Holds placed before lots existed may have left lots without reservations: what the lots
    // cannot cover stays reserved on the wallet only (held), as before.
    for (const r of reservations)
      wallet.reserved.set(r.lotId, (wallet.reserved.get(r.lotId) ?? 0n) + r.amount);
    wallet.held += amount;
    assert(wallet.held <= wallet.balance, `holds on wallet ${wallet.id} would exceed its balance`);
    return reservations;
  }

  release(ref: WalletRef, amount: bigint, reservations: readonly LotAmount[]): void {
    const wallet = this.find(ref);
    assert(wallet !== undefined, `wallet ${ref.userId}/${ref.assetCode} is not locked`);
    for (const r of reservations) {
      const left = (wallet.reserved.get(r.lotId) ?? 0n) - r.amount;
      if (left > 0n) wallet.reserved.set(r.lotId, left);
      else wallet.reserved.delete(r.lotId);
    }
    wallet.held -= amount;
    assert(
      wallet.held >= 0n && wallet.held <= wallet.balance,
      `holds on wallet ${wallet.id} would leave 0..balance`,
    );
    wallet.lots = wallet.lots.filter(
      (lot) => lot.remaining > 0n || (wallet.reserved.get(lot.id) ?? 0n) > 0n,
    );
  }

  /** Marks where a decision starts, so that a refusal can undo what it drafted. */
  begin(): void {
    this.checkpoint = {
      drafted: this.drafted.length,
      ids: this.idsUsed,
      wallets: new Map([...this.wallets].map(([k, w]) => [k, cloneWallet(w)])),
    };
  }

  /** Keeps what the decision drafted. */
  commit(): void {
    this.checkpoint = undefined;
  }

  rollback(): void {
    assert(this.checkpoint !== undefined, 'rollback without begin');
    this.drafted.length = this.checkpoint.drafted;
    this.idsUsed = this.checkpoint.ids;
    this.wallets = this.checkpoint.wallets;
    this.checkpoint = undefined;
  }

  /** Everything drafted since the book was made, in order. */
  postings(): readonly DraftedPosting[] {
    return this.drafted;
  }

  /** The wallets whose balance or sequence the drafted postings changed. */
  changes(): WalletChange[] {
    const changed: WalletChange[] = [];
    for (const wallet of this.wallets.values()) {
      const before = this.before.get(wallet.id)!;
      if (wallet.lastSequence !== before.sequence) {
        changed.push({ wallet, balanceBefore: before.balance, sequenceBefore: before.sequence });
      }
    }
    return changed;
  }

  /** Sets the time the database recorded for a changed wallet. */
  touched(walletId: bigint, updatedAt: Date): void {
    for (const wallet of this.wallets.values())
      if (wallet.id === walletId) wallet.updatedAt = updatedAt;
  }
}
