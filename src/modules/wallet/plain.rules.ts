import { EntryDirection, TransactionKind } from '../../money/enums';
import { kinds } from '../../money/kinds';
import { assertLotExpiryAhead, draftPlain, type PlainKind } from '../../money/rules';
import type { Rule, WalletRef } from '../../money/types';
import { answerOf, type MovementAnswer } from '../../money/view';
import { hashRequest } from '../../shared/idempotency';

/** The operation each plain kind is requested by (recorded with its keys). */
export const plainOperations: Record<PlainKind, string> = {
  [TransactionKind.TOPUP]: 'topup',
  [TransactionKind.BONUS]: 'bonus',
  [TransactionKind.SPEND]: 'spend',
};

/** A validated topup, bonus or spend: its asset resolved. */
export interface PlainRequest {
  kind: PlainKind;
  wallet: WalletRef;
  amount: bigint;
  reference: string | null;
  metadata: unknown;
  /** The credit's lot expiry (credits only). */
  expiresAt: Date | null;
}

/**
 * Topup, bonus and spend: one user wallet against its kind's system account (kinds.ts). The
 * system account is never locked or updated (its balance is the sum of its entries), so movements
 * for different users never wait on each other.
 */
export function plainRule(request: PlainRequest): Rule<MovementAnswer> {
  const { kind, wallet, amount, reference, metadata, expiresAt } = request;
  const operation = plainOperations[kind];
  return {
    name: operation,
    // expiresAt joins the fingerprint only when given, so keys recorded before lots still replay.
    requestHash: hashRequest(operation, {
      userId: wallet.userId,
      asset: wallet.assetCode,
      amount,
      reference,
      metadata,
      ...(expiresAt ? { expiresAt } : {}),
    }),
    wallets: [wallet],
    creates: kinds[kind].userDirection === EntryDirection.CREDIT ? [wallet] : [],
    decide: (draft) => {
      assertLotExpiryAhead(expiresAt, draft.now, 'expiresAt');
      return (
        draftPlain(draft, kind, wallet, amount, { reference, metadata }, expiresAt) ?? {
          kind: 'accept',
        }
      );
    },
    answer: answerOf(wallet),
  };
}
