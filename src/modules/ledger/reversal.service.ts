import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney, assertOwnsOrAdmin } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { ErrorCode, badUserInput, notFound } from '../../shared/errors';
import { hashRequest, validateIdempotencyKey } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { parseEntityId, validateOptionalText } from '../../shared/validation';
import type { MoneyEngine } from '../../money/engine';
import { CreditOrigin } from '../../money/enums';
import type { Lot, LotAmount } from '../../money/lots';
import type { MoneyOperation, WalletRef } from '../../money/types';
import { answerOf, userSystemPosting, type WalletService } from '../wallet/wallet.service';
import type { TransferPayload } from '../wallet/wallet.types';
import { ledgerStore } from './ledger.store';
import { AccountKind, EntryDirection, TransactionKind } from './ledger.types';
import { reversalStore } from './reversal.store';
import type { ReverseInput } from './reversal.types';

type ReversibleKind =
  TransactionKind.TOPUP | TransactionKind.BONUS | TransactionKind.SPEND | TransactionKind.CAPTURE;

/**
 * How a reversal undoes each kind: the user's side goes the other way, against the same system
 * account the original used. Undoing a credit takes money back, so it needs the funds available;
 * undoing a debit gives money back and always can.
 */
const reversalRules: Record<
  ReversibleKind,
  {
    userDirection: EntryDirection;
    account: AccountKind.TREASURY | AccountKind.BONUS_POOL | AccountKind.REVENUE;
  }
> = {
  [TransactionKind.TOPUP]: { userDirection: EntryDirection.DEBIT, account: AccountKind.TREASURY },
  [TransactionKind.BONUS]: { userDirection: EntryDirection.DEBIT, account: AccountKind.BONUS_POOL },
  [TransactionKind.SPEND]: { userDirection: EntryDirection.CREDIT, account: AccountKind.REVENUE },
  [TransactionKind.CAPTURE]: { userDirection: EntryDirection.CREDIT, account: AccountKind.REVENUE },
};

const isReversible = (kind: TransactionKind): kind is ReversibleKind =>
  Object.prototype.hasOwnProperty.call(reversalRules, kind);

const operation = 'reverse';

/**
 * Reversals, as a rule on the money engine: a REVERSAL transaction linked to the one it undoes,
 * for the same user, asset and amount, in the other direction. A transaction is reversed at most
 * once; a reversal is never reversed. A transaction belongs to the client that made it: only that
 * client, or an admin, may reverse it.
 */
export class ReversalService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly wallet: WalletService,
    private readonly engine: MoneyEngine,
  ) {}

  /**
   * Errors: FORBIDDEN (not the transaction's client), BAD_USER_INPUT (a reversal, a transfer or an
   * expiry), NOT_FOUND, ALREADY_REVERSED, INSUFFICIENT_FUNDS, IDEMPOTENCY_KEY_REUSED,
   * SERVICE_UNAVAILABLE.
   */
  async reverse(principal: Principal, input: ReverseInput): Promise<TransferPayload> {
    assertCanMoveMoney(principal);
    const originalId = parseEntityId(input.transactionId, 'transactionId');
    if (originalId === undefined)
      throw badUserInput(
        'transactionId must be a transaction id (a positive decimal integer).',
        'transactionId',
      );
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const reason = validateOptionalText(input.reason, 'reason', limits.reasonLengthMax);
    const [original] = await ledgerStore.findTransactionsByIds(this.prisma, [originalId]);
    if (!original) throw notFound(`Unknown transaction ${originalId}.`);
    assertOwnsOrAdmin(
      principal,
      original.clientId,
      'Only the client that made a transaction (or an admin) may reverse it.',
    );
    if (original.kind === TransactionKind.REVERSAL)
      throw badUserInput('A reversal cannot be reversed.', 'transactionId');
    if (!isReversible(original.kind))
      throw badUserInput(`A ${original.kind} cannot be reversed.`, 'transactionId');
    const rule = reversalRules[original.kind];
    const wallet: WalletRef = { userId: original.userId, assetCode: original.assetCode };
    const allowPartial = input.allowPartial === true;
    if (allowPartial && rule.userDirection !== EntryDirection.DEBIT) {
      throw badUserInput(
        'allowPartial applies to the reversal of a TOPUP or BONUS.',
        'allowPartial',
      );
    }
    const op: MoneyOperation<
      TransferPayload,
      {
        reversalId: bigint | undefined;
        drawn: LotAmount[];
        lots: Lot[];
        credited: bigint | undefined;
      }
    > = {
      name: operation,
      // allowPartial joins the fingerprint only when set, so keys recorded before it still replay.
      requestHash: hashRequest(operation, {
        transactionId: originalId,
        reason,
        ...(allowPartial ? { allowPartial } : {}),
      }),
      wallets: [wallet],
      creates: [],
      // Read after the wallet lock: every reversal of a transaction locks the same wallet, so a
      // reversal committed by a concurrent request is seen here, and the unique index on
      // reverses_id stays a guard that never fires. The lots the original drew from come too.
      load: async (tx) => ({
        reversalId: await reversalStore.findReversalIdOf(tx, originalId),
        ...(await reversalStore.findLotMovements(tx, originalId)),
      }),
      decide: (draft, { reversalId, drawn, lots, credited }) => {
        if (reversalId !== undefined) return { kind: 'refuse', code: ErrorCode.ALREADY_REVERSED };
        if (rule.userDirection === EntryDirection.DEBIT) {
          // Undoing a credit takes from that credit's own lot first, then the others in debit order;
          // with allowPartial, what is available (a refunded purchase partly spent).
          const available = draft.available(wallet);
          const amount = allowPartial
            ? available < original.amount
              ? available
              : original.amount
            : original.amount;
          if (amount < 1n || available < amount)
            return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
          draft.post(
            userSystemPosting(
              TransactionKind.REVERSAL,
              wallet,
              EntryDirection.DEBIT,
              rule.account,
              amount,
              {
                reference: reason,
                metadata: null,
                reversesId: originalId,
              },
              { kind: 'draw', first: credited },
            ),
          );
          return { kind: 'accept' };
        }
        if (draft.find(wallet)!.balance + original.amount > limits.amountMax) {
          throw badUserInput(
            'The reversal would take the balance beyond the largest amount a wallet can hold.',
            'transactionId',
          );
        }
        // Undoing a debit puts back exactly the lots it drew from (same origin and expiry; an
        // amount whose lot expired meanwhile expires at once). A debit from before lots: FREE.
        const drawnTotal = drawn.reduce((sum, d) => sum + d.amount, 0n);
        const lotsPlan =
          drawnTotal === original.amount
            ? { kind: 'restore' as const, amounts: drawn, lots }
            : { kind: 'new' as const, origin: CreditOrigin.FREE, expiresAt: null };
        draft.post(
          userSystemPosting(
            TransactionKind.REVERSAL,
            wallet,
            EntryDirection.CREDIT,
            rule.account,
            original.amount,
            {
              reference: reason,
              metadata: null,
              reversesId: originalId,
            },
            lotsPlan,
          ),
        );
        return { kind: 'accept' };
      },
      answer: answerOf(wallet),
      replay: ({ transactionId }) => this.wallet.replayTransaction(transactionId),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }
}
