import { limits } from '../../shared/limits';
import { AccountKind, EntryDirection } from '../ledger/ledger.types';
import { walletKey, type BookWallet, type Draft, type Leg, type Posting, type WalletRef } from './money.types';

/** A user entry as drafted: its wallet's next sequence and the balance right after it. */
export interface DraftedEntry {
  leg: Leg;
  walletId: bigint | null;
  sequence: bigint | null;
  balanceAfter: bigint | null;
}

export interface DraftedPosting {
  posting: Posting;
  entries: DraftedEntry[];
}

/** A wallet the postings changed: its values at lock time (the update's guard) and now. */
export interface WalletChange {
  wallet: BookWallet;
  balanceBefore: bigint;
  sequenceBefore: bigint;
}

const signed = (direction: EntryDirection, amount: bigint): bigint => (direction === EntryDirection.CREDIT ? amount : -amount);

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant: ${message}`);
}

/**
 * The wallets one money transaction has locked, and what its decisions drafted on them. Every
 * posting is checked here before anything is written: its legs sum to zero, every user wallet
 * stays at zero or above and within the largest amount, and each user entry takes its wallet's
 * next sequence, so the sequence stays gap-free. A decision that refuses is rolled back in memory.
 */
export class LedgerBook implements Draft {
  private readonly wallets = new Map<string, BookWallet>();
  private readonly before = new Map<bigint, { balance: bigint; sequence: bigint }>();
  private readonly drafted: DraftedPosting[] = [];
  private checkpoint: { drafted: number; wallets: Map<string, BookWallet> } | undefined;

  constructor(
    locked: BookWallet[],
    readonly now: Date,
  ) {
    for (const wallet of locked) {
      this.wallets.set(walletKey(wallet), { ...wallet });
      this.before.set(wallet.id, { balance: wallet.balance, sequence: wallet.lastSequence });
    }
  }

  find(ref: WalletRef): BookWallet | undefined {
    return this.wallets.get(walletKey(ref));
  }

  available(ref: WalletRef): bigint {
    const wallet = this.find(ref);
    return wallet ? wallet.balance - wallet.held : 0n;
  }

  post(posting: Posting): void {
    assert(posting.amount > 0n, 'a posting moves a positive amount');
    assert(posting.legs.length >= 2, 'a posting has two legs or more');
    const sum = posting.legs.reduce((total, leg) => {
      assert(leg.amount > 0n, 'every leg moves a positive amount');
      return total + signed(leg.direction, leg.amount);
    }, 0n);
    assert(sum === 0n, `the legs of a ${posting.kind} sum to ${sum}, not zero`);
    const entries = posting.legs.map((leg): DraftedEntry => {
      if (leg.account !== AccountKind.USER) return { leg, walletId: null, sequence: null, balanceAfter: null };
      assert(leg.wallet.assetCode === posting.assetCode, 'a posting moves one asset');
      const wallet = this.find(leg.wallet);
      assert(wallet !== undefined, `wallet ${leg.wallet.userId}/${leg.wallet.assetCode} is not locked`);
      wallet.balance += signed(leg.direction, leg.amount);
      wallet.lastSequence += 1n;
      assert(wallet.balance >= 0n, `wallet ${wallet.id} would go below zero`);
      assert(wallet.balance <= limits.amountMax, `wallet ${wallet.id} would exceed the largest amount`);
      return { leg, walletId: wallet.id, sequence: wallet.lastSequence, balanceAfter: wallet.balance };
    });
    this.drafted.push({ posting, entries });
  }

  hold(ref: WalletRef, delta: bigint): void {
    const wallet = this.find(ref);
    assert(wallet !== undefined, `wallet ${ref.userId}/${ref.assetCode} is not locked`);
    wallet.held += delta;
    assert(wallet.held >= 0n && wallet.held <= wallet.balance, `holds on wallet ${wallet.id} would leave 0..balance`);
  }

  /** Marks where a decision starts, so that a refusal can undo what it drafted. */
  begin(): void {
    this.checkpoint = { drafted: this.drafted.length, wallets: new Map([...this.wallets].map(([k, w]) => [k, { ...w }])) };
  }

  rollback(): void {
    assert(this.checkpoint !== undefined, 'rollback without begin');
    this.drafted.length = this.checkpoint.drafted;
    this.wallets.clear();
    for (const [k, w] of this.checkpoint.wallets) this.wallets.set(k, w);
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
    for (const wallet of this.wallets.values()) if (wallet.id === walletId) wallet.updatedAt = updatedAt;
  }
}
