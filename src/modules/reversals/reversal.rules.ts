import { EntryDirection, TransactionKind, type SystemAccount } from '../../money/enums';
import { kinds, kindsWhere, opposite } from '../../money/kinds';
import type { Lot, LotAmount } from '../../money/lots';
import { userSystemPosting } from '../../money/rules';
import type { Draft, Rule, Transaction, Verdict, WalletRef } from '../../money/types';
import { answerOf, type MovementAnswer } from '../../money/view';
import { ErrorCode, badUserInput } from '../../shared/errors';
import { hashRequest } from '../../shared/idempotency';
import { limits } from '../../shared/limits';

export const reverseOperation = 'reverse';

/** How a reversal undoes a kind: the user's side the other way, against the same system account. */
export interface ReversalPlan {
  userDirection: EntryDirection;
  account: SystemAccount;
  partial: boolean;
}

/**
 * The plan for reversing a transaction of `kind` (kinds.ts), or BAD_USER_INPUT when it cannot be
 * reversed: a reversal is never reversed, nor are kinds without a reversal rule.
 */
export function reversalPlanOf(kind: TransactionKind, allowPartial: boolean): ReversalPlan {
  const row = kinds[kind];
  if (kind === TransactionKind.REVERSAL)
    throw badUserInput('A reversal cannot be reversed.', 'transactionId');
  if (!row.reversal || row.account === null || row.userDirection === null)
    throw badUserInput(`A ${kind} cannot be reversed.`, 'transactionId');
  if (allowPartial && !row.reversal.partial) {
    const partial = kindsWhere((r) => r.reversal?.partial === true).join(' or ');
    throw badUserInput(`allowPartial applies to the reversal of a ${partial}.`, 'allowPartial');
  }
  return {
    userDirection: opposite(row.userDirection),
    account: row.account,
    partial: row.reversal.partial,
  };
}

/** A validated reversal: the original as read before the decision, and its plan. */
export interface ReversalRequest {
  original: Pick<Transaction, 'userId' | 'assetCode' | 'amount'>;
  originalId: bigint;
  plan: ReversalPlan;
  reason: string | null;
  allowPartial: boolean;
}

/** What the decision reads under the wallet's lock: the original's reversal, and its lots. */
export interface ReversalLoaded {
  reversalId: bigint | undefined;
  /** What the original (a debit) drew from each lot, and those lots. */
  drawn: LotAmount[];
  lots: Lot[];
  /** The lot the original (a credit) went to. */
  credited: bigint | undefined;
}

/**
 * A REVERSAL linked to the transaction it undoes, for the same user, asset and amount, in the
 * other direction. Undoing a credit takes money back, so it needs the funds available (with
 * allowPartial, what is available); undoing a debit gives money back and always can. A
 * transaction is reversed at most once (ALREADY_REVERSED).
 */
export function reversalRule(request: ReversalRequest): Rule<MovementAnswer, ReversalLoaded> {
  const { original, originalId, plan, reason, allowPartial } = request;
  const wallet: WalletRef = { userId: original.userId, assetCode: original.assetCode };
  const extra = { reference: reason, metadata: null, reversesId: originalId };
  return {
    name: reverseOperation,
    // allowPartial joins the fingerprint only when set, so keys recorded before it still replay.
    requestHash: hashRequest(reverseOperation, {
      transactionId: originalId,
      reason,
      ...(allowPartial ? { allowPartial } : {}),
    }),
    wallets: [wallet],
    creates: [],
    decide: (draft, loaded) => {
      if (loaded.reversalId !== undefined)
        return { kind: 'refuse', code: ErrorCode.ALREADY_REVERSED };
      return plan.userDirection === EntryDirection.DEBIT
        ? takeBack(draft, wallet, request, loaded, extra)
        : giveBack(draft, wallet, request, loaded, extra);
    },
    answer: answerOf(wallet),
  };
}

type Extra = { reference: string | null; metadata: null; reversesId: bigint };

/**
 * Undoing a credit takes from that credit's own lot first, then the others in debit order; with
 * allowPartial, what is available (a refunded purchase partly spent).
 */
function takeBack(
  draft: Draft,
  wallet: WalletRef,
  { original, plan, allowPartial }: ReversalRequest,
  { credited }: ReversalLoaded,
  extra: Extra,
): Verdict {
  const available = draft.available(wallet);
  const amount = allowPartial && available < original.amount ? available : original.amount;
  if (amount < 1n || available < amount)
    return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
  draft.post(
    userSystemPosting(
      TransactionKind.REVERSAL,
      wallet,
      EntryDirection.DEBIT,
      plan.account,
      amount,
      extra,
      { kind: 'draw', first: credited },
    ),
  );
  return { kind: 'accept' };
}

/**
 * Undoing a debit puts back exactly the lots it drew from (same origin and expiry; an amount whose
 * lot expired meanwhile expires at once). A debit from before lots credits a REVERSAL's lot origin.
 */
function giveBack(
  draft: Draft,
  wallet: WalletRef,
  { original, plan }: ReversalRequest,
  { drawn, lots }: ReversalLoaded,
  extra: Extra,
): Verdict {
  if (draft.find(wallet)!.balance + original.amount > limits.amountMax) {
    throw badUserInput(
      'The reversal would take the balance beyond the largest amount a wallet can hold.',
      'transactionId',
    );
  }
  const drawnTotal = drawn.reduce((sum, d) => sum + d.amount, 0n);
  const lotsPlan =
    drawnTotal === original.amount
      ? { kind: 'restore' as const, amounts: drawn, lots }
      : {
          kind: 'new' as const,
          origin: kinds[TransactionKind.REVERSAL].lotOrigin!,
          expiresAt: null,
        };
  draft.post(
    userSystemPosting(
      TransactionKind.REVERSAL,
      wallet,
      EntryDirection.CREDIT,
      plan.account,
      original.amount,
      extra,
      lotsPlan,
    ),
  );
  return { kind: 'accept' };
}
