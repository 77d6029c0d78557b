/**
 * The ledger's plain enums. The engine owns them; modules register them for GraphQL
 * (registerEnumType in their *.types.ts) but never define them.
 */
export enum TransactionKind {
  TOPUP = 'TOPUP',
  BONUS = 'BONUS',
  SPEND = 'SPEND',
  CAPTURE = 'CAPTURE',
  REVERSAL = 'REVERSAL',
  TRANSFER = 'TRANSFER',
  EXPIRY = 'EXPIRY',
}

export enum EntryDirection {
  DEBIT = 'DEBIT',
  CREDIT = 'CREDIT',
}

export enum AccountKind {
  USER = 'USER',
  TREASURY = 'TREASURY',
  BONUS_POOL = 'BONUS_POOL',
  REVENUE = 'REVENUE',
  /** Where expired credit goes (EXPIRY). */
  BREAKAGE = 'BREAKAGE',
}

/** The asset's accounts other than users' wallets. */
export type SystemAccount = Exclude<AccountKind, AccountKind.USER>;

/** Where a credit lot came from: PAID for topups, FREE otherwise. */
export enum CreditOrigin {
  PAID = 'PAID',
  FREE = 'FREE',
}

export enum WalletStatus {
  ACTIVE = 'ACTIVE',
  FROZEN = 'FROZEN',
}

export enum HoldStatus {
  ACTIVE = 'ACTIVE',
  CAPTURED = 'CAPTURED',
  RELEASED = 'RELEASED',
  EXPIRED = 'EXPIRED',
}
