import { AccountKind, EntryDirection, TransactionKind } from '../../money/enums';
import { kinds } from '../../money/kinds';
import {
  assertLotExpiryAhead,
  creditRefusal,
  dailyLimitRefusal,
  draftPlain,
  type PlainKind,
} from '../../money/rules';
import { walletKey, type Rule, type Transaction, type WalletRef } from '../../money/types';
import { bookWallet, type WalletView } from '../../money/view';
import { ErrorCode } from '../../shared/errors';
import { hashRequest } from '../../shared/idempotency';

/** A validated transfer: sender and recipient differ, the asset resolved. */
export interface TransferRequest {
  from: WalletRef;
  to: WalletRef;
  amount: bigint;
  reference: string | null;
  metadata: unknown;
}

export interface TransferAnswer {
  transaction: Transaction;
  from: WalletView;
  to: WalletView;
  replayed: boolean;
}

/**
 * A player-to-player transfer: one TRANSFER transaction, a DEBIT on the sender (drawn in the debit
 * order) and a CREDIT on the recipient (a new lot of TRANSFER's origin, kinds.ts). A frozen wallet
 * refuses both sides; the sender's dailyTransferOutMax and the recipient's credit limits apply.
 */
export function transferRule(request: TransferRequest): Rule<TransferAnswer> {
  const { from, to, amount, reference, metadata } = request;
  return {
    name: 'transfer',
    requestHash: hashRequest('transfer', {
      fromUserId: from.userId,
      toUserId: to.userId,
      asset: from.assetCode,
      amount,
      reference,
      metadata,
    }),
    wallets: [from, to],
    creates: [to],
    decide: (draft) => {
      if (draft.frozen(from) || draft.frozen(to))
        return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
      if (draft.available(from) < amount)
        return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
      const refused =
        dailyLimitRefusal(draft, TransactionKind.TRANSFER, from, EntryDirection.DEBIT, amount) ??
        creditRefusal(draft, TransactionKind.TRANSFER, to, amount);
      if (refused) return refused;
      draft.post({
        kind: TransactionKind.TRANSFER,
        userId: from.userId,
        assetCode: from.assetCode,
        amount,
        reference,
        metadata,
        counterpartyUserId: to.userId,
        legs: [
          { account: AccountKind.USER, wallet: from, direction: EntryDirection.DEBIT, amount },
          {
            account: AccountKind.USER,
            wallet: to,
            direction: EntryDirection.CREDIT,
            amount,
            lots: {
              kind: 'new',
              origin: kinds[TransactionKind.TRANSFER].lotOrigin!,
              expiresAt: null,
            },
          },
        ],
      });
      return { kind: 'accept' };
    },
    answer: ([transaction], _applied, book) => ({
      transaction: transaction!,
      from: bookWallet(book, from),
      to: bookWallet(book, to),
      replayed: false,
    }),
  };
}

/** One validated leg of a changeset, its asset resolved. */
export interface ChangesetLeg {
  kind: PlainKind;
  wallet: WalletRef;
  amount: bigint;
  expiresAt: Date | null;
}

export interface ChangesetRequest {
  legs: ChangesetLeg[];
  reference: string | null;
  metadata: unknown;
}

export interface ChangesetAnswer {
  changesetId: string;
  transactions: Transaction[];
  wallets: WalletView[];
  replayed: boolean;
}

/** Wallets in the order the contract answers them: by userId, then asset code. */
const byUserThenAsset = (a: WalletRef, b: WalletRef) =>
  a.userId < b.userId
    ? -1
    : a.userId > b.userId
      ? 1
      : a.assetCode < b.assetCode
        ? -1
        : a.assetCode > b.assetCode
          ? 1
          : 0;

/** The wallets a changeset touches, each once, in the order its answer lists them. */
export const changesetWallets = (legs: readonly ChangesetLeg[]): WalletRef[] =>
  [...new Map(legs.map((leg) => [walletKey(leg.wallet), leg.wallet])).values()].sort(
    byUserThenAsset,
  );

/**
 * A changeset: 1..20 legs, each a plain movement (a changeset-leg kind, kinds.ts) posted as its
 * own transaction, all applied or none. The first refused leg refuses the whole, with its index.
 */
export function changesetRule(request: ChangesetRequest): Rule<ChangesetAnswer> {
  const { legs, reference, metadata } = request;
  const touched = changesetWallets(legs);
  return {
    name: 'applyChangeset',
    requestHash: hashRequest('applyChangeset', {
      legs: legs.map((leg) => ({
        userId: leg.wallet.userId,
        asset: leg.wallet.assetCode,
        kind: leg.kind,
        amount: leg.amount,
        ...(leg.expiresAt ? { expiresAt: leg.expiresAt } : {}),
      })),
      reference,
      metadata,
    }),
    wallets: touched,
    creates: legs
      .filter((leg) => kinds[leg.kind].userDirection === EntryDirection.CREDIT)
      .map((leg) => leg.wallet),
    postingsMax: legs.length,
    decide: (draft) => {
      for (const [index, leg] of legs.entries())
        assertLotExpiryAhead(leg.expiresAt, draft.now, `legs[${index}].expiresAt`);
      for (const [index, leg] of legs.entries()) {
        const refused = draftPlain(
          draft,
          leg.kind,
          leg.wallet,
          leg.amount,
          { reference, metadata, legIndex: index },
          leg.expiresAt,
        );
        if (refused && refused.kind === 'refuse')
          return { ...refused, detail: { ...refused.detail, leg: index } };
      }
      return { kind: 'accept' };
    },
    answer: (transactions, _applied, book) => ({
      changesetId: transactions[0]!.changesetId!,
      transactions,
      wallets: touched.map((ref) => bookWallet(book, ref)),
      replayed: false,
    }),
  };
}
