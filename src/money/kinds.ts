import {
  AccountKind,
  CreditOrigin,
  EntryDirection,
  TransactionKind,
  type SystemAccount,
} from './enums';
import type { LimitsOf } from './types';

/** A per-UTC-day counter the limits keep on a wallet, and the asset limit it counts against. */
export type DailyCounter = 'bonus' | 'transferOut';

export const dailyCounters: Record<DailyCounter, { limit: keyof LimitsOf }> = {
  bonus: { limit: 'dailyBonusMax' },
  transferOut: { limit: 'dailyTransferOutMax' },
};

/** What a transaction kind means to the engine, the rules and the invariants. */
export interface KindRow {
  /**
   * The system account the user's side posts against. null: none (a TRANSFER moves user to
   * user), or the original's (a REVERSAL).
   */
  account: SystemAccount | null;
  /** The direction of the user's side (a TRANSFER's: the sender's); null: the original's opposite. */
  userDirection: EntryDirection | null;
  /** The origin of the lot a credit of this kind makes; null when it makes none of its own. */
  lotOrigin: CreditOrigin | null;
  /**
   * How a reversal undoes it (the user's side the other way, against the same system account);
   * null when it cannot be reversed. `partial`: allowPartial may take back less than the amount.
   */
  reversal: { partial: boolean } | null;
  /** A changeset leg may be of this kind. */
  changesetLeg: boolean;
  /** The per-day counters it feeds, on which side of the user's wallet. */
  counters: readonly { counter: DailyCounter; direction: EntryDirection }[];
  /** The invariants' shape: how many user-wallet entries one transaction of the kind posts. */
  userEntries: number;
}

/**
 * One row per transaction kind. Adding a kind is a row here (and a value in TransactionKind, and
 * the migration that adds it to the database's transaction_kind); the engine, the book's
 * counters, reversals, changesets and the invariants read it from here.
 */
export const kinds: Record<TransactionKind, KindRow> = {
  [TransactionKind.TOPUP]: {
    account: AccountKind.TREASURY,
    userDirection: EntryDirection.CREDIT,
    lotOrigin: CreditOrigin.PAID,
    reversal: { partial: true },
    changesetLeg: true,
    counters: [],
    userEntries: 1,
  },
  [TransactionKind.BONUS]: {
    account: AccountKind.BONUS_POOL,
    userDirection: EntryDirection.CREDIT,
    lotOrigin: CreditOrigin.FREE,
    reversal: { partial: true },
    changesetLeg: true,
    counters: [{ counter: 'bonus', direction: EntryDirection.CREDIT }],
    userEntries: 1,
  },
  [TransactionKind.SPEND]: {
    account: AccountKind.REVENUE,
    userDirection: EntryDirection.DEBIT,
    lotOrigin: null,
    reversal: { partial: false },
    changesetLeg: true,
    counters: [],
    userEntries: 1,
  },
  [TransactionKind.CAPTURE]: {
    account: AccountKind.REVENUE,
    userDirection: EntryDirection.DEBIT,
    lotOrigin: null,
    reversal: { partial: false },
    changesetLeg: false,
    counters: [],
    userEntries: 1,
  },
  [TransactionKind.REVERSAL]: {
    account: null,
    userDirection: null,
    // Undoing a debit whose lots are unknown (from before lots) credits a FREE lot.
    lotOrigin: CreditOrigin.FREE,
    reversal: null,
    changesetLeg: false,
    counters: [],
    userEntries: 1,
  },
  [TransactionKind.TRANSFER]: {
    account: null,
    userDirection: EntryDirection.DEBIT,
    // The recipient's lot.
    lotOrigin: CreditOrigin.FREE,
    reversal: null,
    changesetLeg: false,
    counters: [{ counter: 'transferOut', direction: EntryDirection.DEBIT }],
    userEntries: 2,
  },
  [TransactionKind.EXPIRY]: {
    account: AccountKind.BREAKAGE,
    userDirection: EntryDirection.DEBIT,
    lotOrigin: null,
    reversal: null,
    changesetLeg: false,
    counters: [],
    userEntries: 1,
  },
};

export const kindsWhere = (test: (row: KindRow) => boolean): TransactionKind[] =>
  (Object.keys(kinds) as TransactionKind[]).filter((kind) => test(kinds[kind]));

export const opposite = (direction: EntryDirection): EntryDirection =>
  direction === EntryDirection.CREDIT ? EntryDirection.DEBIT : EntryDirection.CREDIT;
